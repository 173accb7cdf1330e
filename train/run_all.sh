#!/usr/bin/env bash
# run_all.sh: the whole pipeline of the embedded model, resumable.
#
#   train/run_all.sh [full|tiny]        (default full; tiny = a minutes-long smoke run)
#   background:  setsid nohup train/run_all.sh full > train/out/pipeline.log 2>&1 &
#
# Stages: prepare (corpus, tokenizer, encoder check) -> base -> draft -> LoRA -> export GGUF
# (F32, Q8_0) and LoRA (PEFT, GGUF) -> evaluate (incl. llama.cpp check) -> loss plot.
# A stage whose output exists is skipped; training resumes from its last checkpoint, so after a
# kill just run the same command again. Everything runs under `nice -n 19` with 2 threads.
# Output: $OUT (default train/out, or train/out-tiny for the tiny profile).
set -euo pipefail
cd "$(dirname "$0")"

PROFILE=${1:-full}
PY=${PY:-/usr/bin/python3}
NICE="nice -n 19"

case "$PROFILE" in
full)
    OUT=${OUT:-out}
    PREP_ARGS=""
    COMMON="--seq 512 --threads 2 --log-every 10 --eval-every 200 --eval-rows 16 --ckpt-every 100"
    # --steps is the maximum; --time-budget (wall seconds) starts the LR decay early on a busy
    # machine (see train.py). To reproduce a finished run exactly, replace --time-budget with the
    # "--steps N --decay-start D" that its log's "done" record gives.
    BASE_ARGS="--dim 256 --layers 4 --heads 4 --kv-heads 2 --ffn 768 --batch 8 --steps 6000 --lr 1.5e-3 --warmup 100 --time-budget ${BASE_BUDGET:-9600}"
    DRAFT_ARGS="--dim 128 --layers 2 --heads 4 --kv-heads 2 --ffn 384 --batch 8 --steps 6000 --lr 2e-3 --warmup 100 --time-budget ${DRAFT_BUDGET:-3000}"
    LORA_ARGS="--batch 8 --steps 3000 --lr 1e-3 --warmup 50 --lora-r 16 --lora-alpha 32 --eval-every 100 --time-budget ${LORA_BUDGET:-2100}"
    EVAL_ARGS="--tasks 200 --loss-rows 48 --llama-tasks 50"
    ;;
tiny)
    OUT=${OUT:-out-tiny}
    PREP_ARGS="--max-files 400 --check-train-files 20"
    COMMON="--seq 256 --threads 2 --log-every 5 --eval-every 10 --eval-rows 2 --ckpt-every 10"
    BASE_ARGS="--dim 64 --layers 2 --heads 2 --kv-heads 1 --ffn 128 --batch 4 --steps 30 --lr 3e-3 --warmup 5"
    DRAFT_ARGS="--dim 64 --layers 1 --heads 2 --kv-heads 1 --ffn 128 --batch 4 --steps 20 --lr 3e-3 --warmup 5"
    LORA_ARGS="--batch 4 --steps 20 --lr 3e-3 --warmup 5 --lora-r 8 --lora-alpha 16"
    EVAL_ARGS="--tasks 10 --loss-rows 4 --llama-tasks 5"
    ;;
*)
    echo "usage: $0 [full|tiny]" >&2
    exit 2
    ;;
esac

mkdir -p "$OUT/runs"
log() { echo "[$(date -u +%Y-%m-%dT%H:%M:%SZ)] $*"; echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*" > "$OUT/status.txt"; }

log "pipeline $PROFILE start (out=$OUT)"
if [ ! -f "$OUT/data/manifest.json" ] || [ ! -f "$OUT/tokenizer.json" ]; then
    log "prepare"
    $NICE $PY prepare.py --out "$OUT" $PREP_ARGS > "$OUT/prepare.log"
fi

train() { # name split eval_split args...
    local name=$1 split=$2 eval_split=$3
    shift 3
    if [ -f "$OUT/runs/$name/model.pt" ]; then
        log "$name: done already"
        return
    fi
    log "train $name"
    $NICE $PY train.py --out "$OUT/runs/$name" --data "$OUT/data" --tokenizer "$OUT/tokenizer.json" \
        --split "$split" --eval-split "$eval_split" $COMMON "$@" > "$OUT/runs/$name.stdout" 2>&1
}

train base base_train base_eval $BASE_ARGS
train draft base_train base_eval $DRAFT_ARGS
train lora lora_train lora_eval $LORA_ARGS --lora-base "$OUT/runs/base/model.pt"

log "export"
$NICE $PY export.py model "$OUT/runs/base/model.pt" "$OUT/tokenizer.json" "$OUT/base-f32.gguf" f32 llmls-go-base
$NICE $PY export.py model "$OUT/runs/base/model.pt" "$OUT/tokenizer.json" "$OUT/base-q8_0.gguf" q8_0 llmls-go-base
$NICE $PY export.py model "$OUT/runs/draft/model.pt" "$OUT/tokenizer.json" "$OUT/draft-f32.gguf" f32 llmls-go-draft
$NICE $PY export.py model "$OUT/runs/draft/model.pt" "$OUT/tokenizer.json" "$OUT/draft-q8_0.gguf" q8_0 llmls-go-draft
$NICE $PY export.py lora "$OUT/runs/lora/model.pt" "$OUT/lora" "$OUT/lora.gguf" llmls-go-cmd-lora llmls-go-base

log "evaluate"
$NICE $PY evaluate.py --out "$OUT" --threads 2 $EVAL_ARGS > "$OUT/evaluate.log" 2>&1

log "plot"
$NICE $PY plot.py "$OUT"

log "pipeline $PROFILE done"
ls -l "$OUT"
