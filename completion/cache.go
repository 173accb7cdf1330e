package completion

import (
	"container/list"
	"hash/maphash"
	"strings"
	"sync"
)

// aheadCache remembers finished completions so that typing the start of a suggestion is
// answered from it without a model call ("typed-ahead reuse"). An entry is keyed by the
// document and the text on both sides of the cursor when it was made; a later request whose
// text equals that document with a prefix of the completion typed at the cursor gets the
// rest of the completion, when it is made with the same LoRA adapters (loraKey). Least
// recently used entries are dropped first.
type aheadCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *aheadEntry, most recent first
}

type aheadEntry struct {
	uri        string
	lora       string // loraKey of the adapters it was generated with
	cursor     int    // byte offset of the cursor in the document it was made for
	beforeHash uint64 // hash of text[:cursor]
	afterHash  uint64 // hash of text[cursor:]
	after      int    // len(text[cursor:])
	items      []string
}

var cacheSeed = maphash.MakeSeed()

func newAheadCache(max int) *aheadCache {
	return &aheadCache{max: max, order: list.New()}
}

// put records the completions items for text with the cursor at cursor, generated with the
// LoRA adapters named by lora (loraKey).
func (c *aheadCache) put(uri, lora, text string, cursor int, items []string) {
	if len(items) == 0 {
		return
	}
	e := &aheadEntry{
		uri: uri, lora: lora, cursor: cursor,
		beforeHash: maphash.String(cacheSeed, text[:cursor]),
		afterHash:  maphash.String(cacheSeed, text[cursor:]),
		after:      len(text) - cursor,
		items:      items,
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.PushFront(e)
	for c.order.Len() > c.max {
		c.order.Remove(c.order.Back())
	}
}

// get returns the remainders of a cached completion for text with the cursor at cursor: an
// entry for the same document and LoRA adapters whose text before its cursor is a prefix of ours, whose text
// after its cursor equals ours, and one of whose items starts with what was typed between.
// Remainders that would be empty are left out.
func (c *aheadCache) get(uri, lora, text string, cursor int) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.order.Front(); el != nil; el = el.Next() {
		e := el.Value.(*aheadEntry)
		if e.uri != uri || e.lora != lora || e.cursor > cursor || len(text)-cursor != e.after {
			continue
		}
		typed := text[e.cursor:cursor]
		var rest []string
		for _, it := range e.items {
			if r, ok := strings.CutPrefix(it, typed); ok && strings.TrimSpace(r) != "" {
				rest = append(rest, r)
			}
		}
		if len(rest) == 0 {
			continue
		}
		if maphash.String(cacheSeed, text[cursor:]) != e.afterHash ||
			maphash.String(cacheSeed, text[:e.cursor]) != e.beforeHash {
			continue
		}
		c.order.MoveToFront(el)
		return rest, true
	}
	return nil, false
}

// forget drops the entries of a document.
func (c *aheadCache) forget(uri string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		if el.Value.(*aheadEntry).uri == uri {
			c.order.Remove(el)
		}
		el = next
	}
}

// clear drops every entry (the model or its settings changed).
func (c *aheadCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
}
