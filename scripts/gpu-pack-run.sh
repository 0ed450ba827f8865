#!/usr/bin/env bash
# The packed GPU run of cner (made by `npm run gpu:pack`, scripts/gpu-pack.ts; this is its template,
# scripts/gpu-pack-run.sh). Needs: Linux x86-64, bash, python3 (or tar + xz), a Vulkan driver (NVIDIA's).
#
#   OUT=/path/to/results ./run.sh [--epochs N] [--pretrain-iterations N] [--max-minutes N]
#
# Unpacks Node, Dawn, the trainer and the data into $CNER_WORK (default: .work beside this file), points the
# Vulkan loader (unpacked here) at NVIDIA's ICD json, trains the default recipe (pre-training included) with the
# packed config's backend (webgpu), and writes the model, its card, the learning curve and report.md/report.json
# (wall time per phase, chars/s, the adapter) into $OUT, with run.log and gpu.txt (nvidia-smi, when there is one).
#
# Environment: OUT (required); CNER_WORK; VK_DRIVER_FILES / VK_ICD_FILENAMES (an ICD json to use instead of the
# search below, e.g. Mesa's lavapipe: /usr/share/vulkan/icd.d/lvp_icd.json).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
: "${OUT:?set OUT to the folder the results go to}"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=${CNER_WORK:-$HERE/.work}
start=$(date +%s.%N)

# ── unpack (xz when there is one, else python3's lzma / tarfile) ────────────────────────────────────────────
unxz_to() {
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" >"$2"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
untar_to() {
  if command -v xz >/dev/null 2>&1 && command -v tar >/dev/null 2>&1; then tar -xJf "$1" -C "$2"
  else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"; fi
}
mkdir -p "$WORK"
rm -rf "$WORK/app" "$WORK/data" "$WORK/node" "$WORK/nvidia_icd.json" # only what an earlier run unpacked there
untar_to "$HERE/app.tar.xz" "$WORK"
untar_to "$HERE/data.tar.xz" "$WORK"
unxz_to "$HERE/runtime/node.xz" "$WORK/node"
chmod 755 "$WORK/node"
unxz_to "$HERE/runtime/dawn.node.xz" "$WORK/app/node_modules/webgpu/dist/linux-x64/dawn.node"
export CNER_UNPACK_SECONDS
CNER_UNPACK_SECONDS=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)" 2>/dev/null || echo "")

# ── the Vulkan driver: NVIDIA's ICD json, or one written for NVIDIA's library ──────────────────────────────
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  ICD=""
  for dir in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/etc/vulkan/icd.d \
    /usr/lib/x86_64-linux-gnu/vulkan/icd.d /usr/share/nvidia /etc/nvidia; do
    for f in "$dir"/nvidia*.json; do
      if [ -f "$f" ]; then ICD=$f; break 2; fi
    done
  done
  if [ -z "$ICD" ]; then
    # a container with NVIDIA's libraries but no ICD json: write one for the library that implements Vulkan
    for lib in libGLX_nvidia.so.0 libEGL_nvidia.so.0; do
      path=$( (ldconfig -p 2>/dev/null || true) | awk -v l="$lib" '$1 == l { print $NF; exit }')
      if [ -z "$path" ]; then
        for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64; do
          if [ -e "$d/$lib" ]; then path=$d/$lib; break; fi
        done
      fi
      if [ -n "$path" ]; then
        ICD=$WORK/nvidia_icd.json
        printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "%s", "api_version": "1.3.0" } }\n' "$path" >"$ICD"
        break
      fi
    done
  fi
  if [ -z "$ICD" ]; then
    echo "run.sh: no NVIDIA Vulkan ICD json found (looked in /usr/share/vulkan/icd.d, /etc/vulkan/icd.d, ...) and no libGLX_nvidia.so.0;" >&2
    echo "        set VK_DRIVER_FILES=/path/to/icd.json (a container needs NVIDIA_DRIVER_CAPABILITIES to include graphics)" >&2
    exit 3
  fi
  export VK_DRIVER_FILES=$ICD VK_ICD_FILENAMES=$ICD
fi
export LD_LIBRARY_PATH=$WORK/app/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "run.sh: Vulkan driver ${VK_DRIVER_FILES:-$VK_ICD_FILENAMES}" | tee "$OUT/run.log"
if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi >"$OUT/gpu.txt" 2>&1 || true; fi

# ── train ──────────────────────────────────────────────────────────────────────────────────────────────────
"$WORK/node" "$WORK/app/run.mjs" "$HERE" "$WORK" "$OUT" "$@" 2>&1 | tee -a "$OUT/run.log"
