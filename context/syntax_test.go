package codectx_test

import (
	"slices"
	"strings"
	"testing"

	codectx "github.com/llmls/llmls/context"
)

// syntaxCases are real-code snippets per language with the definitions, imports and
// enclosing scopes (at the cursor mark) that a reader finds by eye.
var syntaxCases = []struct {
	name    string
	lang    string
	src     string
	defs    []string // "kind name", document order
	imports []string
	scopes  []string // "kind name", innermost first
}{
	{
		name: "go",
		lang: "go",
		src: `package store

import (
	"fmt"
	"sync"
)

import "errors"

const MaxItems = 64

var ErrFull = errors.New("store: full")

// Store keeps items in memory.
type Store struct {
	mu    sync.Mutex
	items map[string]string
}

type Key = string

func New() *Store { return &Store{items: map[string]string{}} }

func (s *Store) Put(k Key, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var local = 1
	if len(s.items) >= MaxItems {
		return fmt.Errorf("put %q: %w", k, ErrFull)‸
	}
	s.items[k] = v
	_ = local
	return nil
}
`,
		defs:    []string{"constant MaxItems", "variable ErrFull", "type Store", "type Key", "function New", "method Put"},
		imports: []string{"import (\n\t\"fmt\"\n\t\"sync\"\n)", `import "errors"`},
		scopes:  []string{"method Put"},
	},
	{
		name: "python",
		lang: "python",
		src: `import os
from typing import Optional as Opt

TIMEOUT = 30


@dataclass
class Client:
    retries = 3

    def get(self, path: str) -> Opt[str]:
        full = os.path.join(self.root, path)
        return full‸

    async def close(self):
        pass


def main():
    c = Client()
`,
		defs:    []string{"variable TIMEOUT", "class Client", "variable retries", "method get", "method close", "function main"},
		imports: []string{"import os", "from typing import Optional as Opt"},
		scopes:  []string{"method get", "class Client"},
	},
	{
		name: "javascript",
		lang: "javascript",
		src: `import fs from "fs";
const path = require("path");

export const LIMIT = 10;
let counter = 0;

function readAll(dir) {
  return fs.readdirSync(dir).map((f) => path.join(dir, f));
}

const double = (x) => x * 2;

export class Cache extends Map {
  get(key) {
    counter++;
    return super.get(key)‸;
  }
}
`,
		defs:    []string{"variable path", "variable LIMIT", "variable counter", "function readAll", "function double", "class Cache", "method get"},
		imports: []string{`import fs from "fs";`, `const path = require("path");`},
		scopes:  []string{"method get", "class Cache"},
	},
	{
		name: "typescript",
		lang: "typescript",
		src: `import { Request } from "./http";

export interface Handler {
  handle(req: Request): Promise<void>;
}

type Method = "GET" | "POST";

enum Level { Debug, Info }

export abstract class Base implements Handler {
  abstract handle(req: Request): Promise<void>;
}

export function route(m: Method, h: Handler): void {
  const table = new Map<Method, Handler>();
  table.set(m, h)‸;
}
`,
		defs:    []string{"interface Handler", "method handle", "type Method", "type Level", "class Base", "method handle", "function route"},
		imports: []string{`import { Request } from "./http";`},
		scopes:  []string{"function route"},
	},
	{
		name: "tsx",
		lang: "typescriptreact",
		src: `import React from "react";

type Props = { name: string };

export const Hello = ({ name }: Props) => {
  return <div className="hello">{name}‸</div>;
};
`,
		defs:    []string{"type Props", "function Hello"},
		imports: []string{`import React from "react";`},
		scopes:  []string{"function Hello"},
	},
	{
		name: "rust",
		lang: "rust",
		src: `use std::collections::HashMap;
use std::io::{self, Read};

const LIMIT: usize = 8;
static NAME: &str = "cache";

pub struct Cache {
    map: HashMap<String, String>,
}

pub trait Store {
    fn get(&self, k: &str) -> Option<&String>;
}

impl Store for Cache {
    fn get(&self, k: &str) -> Option<&String> {
        let n = LIMIT;
        self.map.get(k)‸
    }
}

fn main() {}
`,
		defs:    []string{"constant LIMIT", "variable NAME", "type Cache", "interface Store", "method get", "impl Cache", "method get", "function main"},
		imports: []string{"use std::collections::HashMap;", "use std::io::{self, Read};"},
		scopes:  []string{"method get", "impl Cache"},
	},
	{
		name: "c",
		lang: "c",
		src: `#include <stdio.h>
#include "list.h"

#define CAP 16
#define MAX(a, b) ((a) > (b) ? (a) : (b))

typedef struct node {
	int value;
	struct node *next;
} node_t;

static int count = 0;

int list_len(node_t *head);

static char *label(int v) {
	return v > CAP ? "big" : "small";
}

int list_len(node_t *head) {
	int n = 0;
	for (; head; head = head->next) {
		n++‸;
	}
	return n;
}
`,
		defs:    []string{"macro CAP", "macro MAX", "type node_t", "type node", "variable count", "function list_len", "function label", "function list_len"},
		imports: []string{"#include <stdio.h>", `#include "list.h"`},
		scopes:  []string{"function list_len"},
	},
	{
		name: "cpp",
		lang: "cpp",
		src: `#include <string>
using std::string;

namespace geo {

class Shape {
 public:
  virtual double area() const = 0;
  string name() const { return "shape"; }
};

double total(const Shape& s);

}  // namespace geo

double geo::total(const geo::Shape& s) {
  return s.area()‸;
}
`,
		defs:    []string{"module geo", "class Shape", "method area", "method name", "function total", "method total"},
		imports: []string{"#include <string>", "using std::string;"},
		scopes:  []string{"method total"},
	},
	{
		name: "java",
		lang: "java",
		src: `package demo.store;

import java.util.HashMap;
import java.util.Map;

public class Store {
    static final int MAX = 10;
    private final Map<String, String> items = new HashMap<>();

    public Store() {}

    public String get(String key) {
        String v = items.get(key);
        return v‸;
    }

    interface Listener { void changed(String key); }
}
`,
		defs:    []string{"class Store", "variable MAX", "variable items", "method Store", "method get", "interface Listener", "method changed"},
		imports: []string{"package demo.store;", "import java.util.HashMap;", "import java.util.Map;"},
		scopes:  []string{"method get", "class Store"},
	},
	{
		name: "lua",
		lang: "lua",
		src: `local json = require("json")
local M = {}
require("strict")

local function helper(x)
  return x * 2
end

function M.encode(t)
  local s = json.encode(t)
  return s‸
end

M.version = "1.0"
return M
`,
		defs:    []string{"variable json", "variable M", "function helper", "function encode"},
		imports: []string{`local json = require("json")`, `require("strict")`},
		scopes:  []string{"function encode"},
	},
	{
		name: "ruby",
		lang: "ruby",
		src: `require "json"
require_relative "store"

VERSION = "1.0"

module Shop
  class Cart < Base
    def initialize
      @items = []
    end

    def total
      @items.sum(&:price)‸
    end

    def self.empty; new; end
  end
end
`,
		defs:    []string{"constant VERSION", "module Shop", "class Cart", "method initialize", "method total", "method empty"},
		imports: []string{`require "json"`, `require_relative "store"`},
		scopes:  []string{"method total", "class Cart", "module Shop"},
	},
	{
		name: "bash",
		lang: "shellscript",
		src: `#!/bin/bash
source ./lib.sh
. "$HOME/.env"

OUT=/tmp/out

build() {
  local target=$1
  make "$target"‸
}

function clean {
  rm -rf "$OUT"
}
`,
		defs:    []string{"variable OUT", "function build", "function clean"},
		imports: []string{"source ./lib.sh", `. "$HOME/.env"`},
		scopes:  []string{"function build"},
	},
}

func kindNames(defs []string) []string {
	var out []string
	for _, d := range defs {
		out = append(out, d[:strings.Index(d, " [")])
	}
	return out
}

func TestDefinitionsImportsScopes(t *testing.T) {
	for _, tt := range syntaxCases {
		t.Run(tt.name, func(t *testing.T) {
			text, off := cut(t, tt.src)
			s := parse(t, tt.lang, text)
			if !s.HasTree() {
				t.Fatal("no tree")
			}
			if strings.Contains(s.SExpr(), "ERROR") || strings.Contains(s.SExpr(), "MISSING") {
				t.Fatalf("the test source does not parse cleanly: %s", s.SExpr())
			}
			if got := kindNames(codectx.Defs(s)); !slices.Equal(got, tt.defs) {
				t.Errorf("definitions\n got %q\nwant %q", got, tt.defs)
			}
			if got := codectx.IndexImports(s); !slices.Equal(got, tt.imports) {
				t.Errorf("imports\n got %q\nwant %q", got, tt.imports)
			}
			var scopes []string
			for _, sc := range codectx.Scopes(s, off) {
				scopes = append(scopes, sc.Kind+" "+sc.Name)
				if !strings.HasPrefix(text[sc.Start:], sc.Header) || sc.Header == "" {
					t.Errorf("scope %s: header %q is not a prefix of its text", sc.Name, sc.Header)
				}
				if sc.Start >= off || sc.End < off {
					t.Errorf("scope %s [%d,%d) does not hold the cursor %d", sc.Name, sc.Start, sc.End, off)
				}
			}
			if !slices.Equal(scopes, tt.scopes) {
				t.Errorf("scopes\n got %q\nwant %q", scopes, tt.scopes)
			}
		})
	}
}
