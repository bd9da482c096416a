#!/bin/bash
# Side-by-side: `vigil repo build` against Debian's dpkg-scanpackages (and
# apt-ftparchive when apt-utils is installed) on the same directory of .deb
# files made with dpkg-deb. Reports the median wall time of --runs runs of
# each (interleaved). Vigil's build also writes Release and the
# repo_complete marker (a SHA-256 pass over every file); the peers write
# Packages (+ gzip) only.
#
#   bench/repo/run.sh [--packages N] [--size-kib K] [--runs R] [--work DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
PACKAGES=200 SIZE_KIB=512 RUNS=3 WORK=build/bench-repo
while [ $# -gt 0 ]; do
  case "$1" in
    --packages) PACKAGES=$2; shift 2 ;;
    --size-kib) SIZE_KIB=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
WORK=$(mkdir -p "$WORK" && cd "$WORK" && pwd)
VIGIL=$(realpath "${VIGIL_BIN:-build/release/vigil}")
REPO=$WORK/pigsty
if [ ! -f "$WORK/.made-$PACKAGES-$SIZE_KIB" ]; then
  rm -rf "$WORK"; mkdir -p "$REPO" "$WORK/src"
  for i in $(seq 1 "$PACKAGES"); do
    d=$WORK/src/p$i
    mkdir -p "$d/DEBIAN" "$d/usr/share/bench-$i"
    head -c "$((SIZE_KIB * 1024))" /dev/urandom > "$d/usr/share/bench-$i/blob"
    printf 'Package: bench-%s\nVersion: 1.%s\nArchitecture: all\nMaintainer: B <b@e>\nDescription: bench %s\n' \
      "$i" "$i" "$i" > "$d/DEBIAN/control"
    dpkg-deb -Z none --root-owner-group --build "$d" "$REPO/bench-${i}_1.${i}_all.deb" >/dev/null
    rm -rf "$d"
  done
  touch "$WORK/.made-$PACKAGES-$SIZE_KIB"
fi
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A T
for r in $(seq 1 "$RUNS"); do
  t0=$(now); "$VIGIL" repo build "$REPO" --force --data-dir "$WORK/data" >/dev/null; t1=$(now)
  T[vigil]+="$(echo "$t1 - $t0" | bc) "
  t0=$(now); (cd "$REPO" && dpkg-scanpackages -m . > "$WORK/Packages.dsp" 2>/dev/null && gzip -9c "$WORK/Packages.dsp" > "$WORK/Packages.dsp.gz"); t1=$(now)
  T[dpkg-scanpackages]+="$(echo "$t1 - $t0" | bc) "
  if command -v apt-ftparchive >/dev/null; then
    t0=$(now); (cd "$REPO" && apt-ftparchive packages . > "$WORK/Packages.aft" && gzip -9c "$WORK/Packages.aft" > "$WORK/Packages.aft.gz"); t1=$(now)
    T[apt-ftparchive]+="$(echo "$t1 - $t0" | bc) "
  fi
done
echo "packages=$PACKAGES size_kib=$SIZE_KIB runs=$RUNS load=$(cut -d' ' -f1 /proc/loadavg)"
v=$(echo "${T[vigil]}" | tr ' ' '\n' | grep . | median)
for k in "${!T[@]}"; do
  m=$(echo "${T[$k]}" | tr ' ' '\n' | grep . | median)
  printf '%-18s median %6.3f s  (runs: %s) ratio vigil/this %.2f\n' "$k" "$m" "${T[$k]}" "$(echo "$v / $m" | bc -l)"
done
