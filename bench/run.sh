#!/usr/bin/env bash
# Cairn benchmark (issue 3, "Performance"): see bench/README.md.
#
#   bash bench/run.sh [--work DIR] [--quick] [--no-plain] [--no-build] [--threads] [--perf]
#
# Prints one figure per line ("name value") on stdout; progress goes to stderr.
# Exits 0 when the run itself worked (targets missed are reported, not fatal).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
WORK="$HERE/work"
QUICK=0
PLAIN=1        # also measure Full backups + restores without compression
BUILD=1
THREADS=0      # sample the daemons' thread states during each Cairn step (threads.py)
PERF=0         # perf record the fd and sd during each Cairn step
JOB_TIMEOUT=${JOB_TIMEOUT:-1200}   # seconds a single console session (job + wait) may take

while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK="$2"; shift 2 ;;
    --work=*) WORK="${1#--work=}"; shift ;;
    --quick) QUICK=1; shift ;;
    --no-plain) PLAIN=0; shift ;;
    --no-build) BUILD=0; shift ;;
    --threads) THREADS=1; shift ;;
    --perf) PERF=1; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ "$QUICK" = 1 ]; then
  SMALL_N=5000; LARGE_K=2; LARGE_MIB=64
else
  SMALL_N=50000; LARGE_K=4; LARGE_MIB=256
fi
SMALL_DIRS=250; SEED=42; EVERY=100; OFFSET=37   # 1% of the small files change for the incremental

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
GEN="python3 $HERE/gen.py"
DATA="$WORK/data-s${SMALL_N}-l${LARGE_K}x${LARGE_MIB}"
SMALL="$DATA/small"
LARGE="$DATA/large"
RUN="$WORK/run"
RESULTS="$RUN/results.txt"

# ---------------------------------------------------------------- disk space
small_est=$(( SMALL_N * 12800 ))                 # 8.5 KiB average + block slack
large_est=$(( LARGE_K * LARGE_MIB * 1048576 ))
data_est=$(( small_est + large_est ))
stamp_want="gen=$($GEN version) small=$SMALL_N dirs=$SMALL_DIRS large=${LARGE_K}x${LARGE_MIB} seed=$SEED"
have_data=0
if [ -f "$DATA/stamp" ] && [ "$(cat "$DATA/stamp")" = "$stamp_want" ]; then have_data=1; fi
# tar archive (<= 1x) + one extract or restore at a time (1x) + volumes (1x, 2x with --plain) + margin
need=$(( data_est * (3 + PLAIN) + 512 * 1048576 ))
[ "$have_data" = 1 ] || need=$(( need + data_est ))
rm -rf "$RUN"          # the previous run's volumes and restores are not kept
avail=$(df --output=avail -B1 "$WORK" | tail -1 | tr -d ' ')
if [ "$avail" -lt "$need" ]; then
  die "not enough free disk under $WORK: need $((need >> 20)) MiB, have $((avail >> 20)) MiB (use --work or --quick)"
fi

# ---------------------------------------------------------------- build
if [ "$PERF" = 1 ] && ! command -v perf > /dev/null 2>&1; then log "NOTE: perf not found; --perf ignored"; PERF=0; fi
if [ "$BUILD" = 1 ]; then
  log "cargo build --release (waits for the target-dir lock if another build runs)"
  (cd "$REPO" && cargo build --release) >&2 || die "cargo build --release failed"
fi
BIN="$REPO/target/release/cairn"
[ -x "$BIN" ] || die "$BIN missing (build with cargo build --release)"

# ---------------------------------------------------------------- compressor for the tar reference
COMP=""; DECOMP=""
if ! command -v lz4 >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  log "installing lz4 (apt-get)"
  apt-get install -y lz4 >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y lz4 >/dev/null 2>&1) || true
fi
if command -v lz4 >/dev/null 2>&1; then COMP="lz4 -1 -q"; DECOMP="lz4 -d -c -q"; COMP_NAME=lz4-1
elif command -v zstd >/dev/null 2>&1; then COMP="zstd -1 -q -c"; DECOMP="zstd -d -q -c"; COMP_NAME=zstd-1
  log "NOTE: lz4 CLI unavailable: the tar reference uses zstd -1"
else COMP="gzip -1 -c"; DECOMP="gzip -d -c"; COMP_NAME=gzip-1
  log "NOTE: lz4 and zstd CLIs unavailable: the tar reference uses gzip -1"
fi

# ---------------------------------------------------------------- datasets
if [ "$have_data" = 0 ]; then
  log "generating datasets in $DATA ($SMALL_N small files, $LARGE_K x $LARGE_MIB MiB)"
  rm -rf "$DATA"
  mkdir -p "$DATA"
  $GEN small "$SMALL" --files "$SMALL_N" --dirs "$SMALL_DIRS" --seed "$SEED"
  $GEN large "$LARGE" --files "$LARGE_K" --mib "$LARGE_MIB" --seed "$SEED"
  echo "$stamp_want" > "$DATA/stamp"
else
  log "reusing datasets in $DATA"
  # The previous run's incremental modified 1% of the small files: put them back.
  $GEN reset "$SMALL" --files "$SMALL_N" --dirs "$SMALL_DIRS" --seed "$SEED" --every "$EVERY" --offset "$OFFSET"
fi
small_bytes=$(find "$SMALL" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
small_files=$(find "$SMALL" -type f | wc -l)
large_bytes=$(find "$LARGE" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
large_files=$(find "$LARGE" -type f | wc -l)
[ "$small_files" = "$SMALL_N" ] || die "small dataset has $small_files files, expected $SMALL_N (delete $DATA)"

mkdir -p "$RUN"/{etc,var/dir,var/sd,var/fd,volumes,logs,ref,restore}
: > "$RESULTS"
fig() { printf '%s %s\n' "$1" "$2" | tee -a "$RESULTS"; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
now() { date +%s.%N; }

# ---------------------------------------------------------------- cache
COLD=0
if [ -w /proc/sys/vm/drop_caches ] && sync && echo 3 2>/dev/null > /proc/sys/vm/drop_caches; then COLD=1; fi
drop_caches() {
  sync
  if [ "$COLD" = 1 ]; then echo 3 > /proc/sys/vm/drop_caches; fi
}

# ---------------------------------------------------------------- processes
PIDS=()
DIAG_PIDS=()
DIR_PID=""; SD_PID=""; FD_PID=""
THREADS_PID=""
cleanup() {
  local p
  if [ -n "$THREADS_PID" ]; then touch "$RUN/logs/threads.stop"; wait "$THREADS_PID" 2>/dev/null || true; fi
  for p in "${DIAG_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${DIAG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Per-daemon accounting around a step: CPU seconds (utime+stime) and the peak RSS
# during the step (VmHWM, reset before the step with clear_refs 5 when the kernel allows).
declare -A CPU0 PEAK
PEAK[fd]=0; PEAK[sd]=0; PEAK[dir]=0
pid_of() { case "$1" in fd) echo "$FD_PID" ;; sd) echo "$SD_PID" ;; dir) echo "$DIR_PID" ;; esac; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
TICK=$(getconf CLK_TCK)
HWM_RESET=0
acct_begin() {
  local d p
  for d in fd sd dir; do
    p=$(pid_of "$d"); [ -n "$p" ] || continue
    CPU0[$d]=$(cpu_ticks "$p")
    if echo 5 2>/dev/null > "/proc/$p/clear_refs"; then HWM_RESET=1; fi
  done
}
acct_end() {  # $1 = step name
  local d p t h
  for d in fd sd dir; do
    p=$(pid_of "$d"); [ -n "$p" ] || continue
    t=$(cpu_ticks "$p"); h=$(hwm_kib "$p")
    fig "$1.${d}_cpu_s" "$(calc "($t - ${CPU0[$d]}) / $TICK")"
    fig "$1.${d}_peak_rss_MiB" "$(calc "$h / 1024" 1)"
    if [ "$h" -gt "${PEAK[$d]}" ]; then PEAK[$d]=$h; fi
  done
}

# rate figures for a timed step: $1 name, $2 seconds, $3 bytes, $4 files
rates() {
  fig "$1.seconds" "$(calc "$2" 3)"
  fig "$1.MBps" "$(calc "$3 / 1000000 / $2" 1)"
  fig "$1.files_per_s" "$(calc "$4 / $2" 0)"
}

ELAPSED=0
timed() {  # timed CMD...: drops caches, runs CMD, sets ELAPSED
  drop_caches
  local t0 t1
  t0=$(now)
  "$@"
  t1=$(now)
  ELAPSED=$(calc "$t1 - $t0" 3)
}

# ---------------------------------------------------------------- 1. read limit
read_all() { find "$1" -type f -print0 | xargs -0 cat > /dev/null; }
fig cache.cold "$([ "$COLD" = 1 ] && echo yes || echo no)"
fig dataset.small.files "$small_files"
fig dataset.small.MB "$(calc "$small_bytes / 1000000" 1)"
fig dataset.large.files "$large_files"
fig dataset.large.MB "$(calc "$large_bytes / 1000000" 1)"
fig tar.compressor "$COMP_NAME"

declare -A SEC
for set in small large; do
  dir=$([ $set = small ] && echo "$SMALL" || echo "$LARGE")
  log "read limit: cat of every $set file"
  timed read_all "$dir"; SEC[read.$set]=$ELAPSED
  if [ $set = small ]; then rates read.small "$ELAPSED" "$small_bytes" "$small_files"
  else rates read.large "$ELAPSED" "$large_bytes" "$large_files"; fi
done

# ---------------------------------------------------------------- 2. tar reference
tar_create() { tar -C "$DATA" -cf - "$1" | $COMP > "$RUN/ref/$1.tar.c"; }
tar_extract() { mkdir -p "$RUN/ref/x-$1" && $DECOMP "$RUN/ref/$1.tar.c" | tar -C "$RUN/ref/x-$1" -xf -; }
for set in small large; do
  b=$([ $set = small ] && echo "$small_bytes" || echo "$large_bytes")
  f=$([ $set = small ] && echo "$small_files" || echo "$large_files")
  log "reference: tar -cf - $set | $COMP_NAME"
  timed tar_create $set; SEC[tar.$set.create]=$ELAPSED
  rates tar.$set.create "$ELAPSED" "$b" "$f"
  fig tar.$set.archive_MiB "$(calc "$(stat -c %s "$RUN/ref/$set.tar.c") / 1048576" 1)"
  log "reference: $COMP_NAME -d | tar -xf - ($set)"
  timed tar_extract $set; SEC[tar.$set.extract]=$ELAPSED
  rates tar.$set.extract "$ELAPSED" "$b" "$f"
  rm -rf "$RUN/ref/x-$set" "$RUN/ref/$set.tar.c"
done

# ---------------------------------------------------------------- 3. Cairn configuration
read -r DIR_PORT SD_PORT FD_PORT < <(python3 - <<'EOF'
import socket
ss = []
for _ in range(3):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ss.append(s)
print(*[s.getsockname()[1] for s in ss])
EOF
)
DIR_PW=bench-dir-pw; SD_PW=bench-sd-pw; FD_PW=bench-fd-pw
cat > "$RUN/etc/sd.conf" <<EOF
Storage {
  Name = bench-sd
  SDAddress = 127.0.0.1
  SDPort = $SD_PORT
  Working Directory = "$RUN/var/sd"
}
Director {
  Name = bench-dir
  Password = "$SD_PW"
}
Device {
  Name = FileStorage
  Media Type = File
  Archive Device = "$RUN/volumes"
  LabelMedia = yes
  Random Access = yes
  AutomaticMount = yes
  RemovableMedia = no
  AlwaysOpen = no
}
Messages {
  Name = Standard
  Director = bench-dir = all
}
EOF
cat > "$RUN/etc/fd.conf" <<EOF
Client {
  Name = bench-fd
  FDAddress = 127.0.0.1
  FDPort = $FD_PORT
  Working Directory = "$RUN/var/fd"
}
Director {
  Name = bench-dir
  Password = "$FD_PW"
}
Messages {
  Name = Standard
  Director = bench-dir = all, !skipped, !restored
}
EOF
fileset() {  # name path compression(yes/no)
  local opt="Signature = XXH128"
  [ "$3" = yes ] && opt="$opt; Compression = LZ4"
  printf 'FileSet {\n  Name = %s\n  Include {\n    Options { %s }\n    File = "%s"\n  }\n}\n' "$1" "$opt" "$2"
}
backup_job() {  # name fileset
  cat <<EOF
Job {
  Name = $1
  Type = Backup
  Level = Full
  Client = bench-fd
  FileSet = $2
  Storage = File
  Messages = Standard
  Pool = Full
  Full Backup Pool = Full
  Incremental Backup Pool = Incremental
  Differential Backup Pool = Incremental
}
EOF
}
{
  cat <<EOF
Director {
  Name = bench-dir
  Password = "$DIR_PW"
  DirAddress = 127.0.0.1
  DirPort = $DIR_PORT
  Working Directory = "$RUN/var/dir"
  Messages = Daemon
  Maximum Concurrent Jobs = 1
}
Catalog { Name = MyCatalog; dbname = bareos; dbuser = bareos }
Messages { Name = Daemon; console = all, !skipped, !saved; append = "$RUN/logs/dir-daemon.log" = all }
Messages { Name = Standard; console = all, !skipped, !saved; catalog = all, !skipped; append = "$RUN/logs/jobs.log" = all, !skipped }
Client {
  Name = bench-fd
  Address = 127.0.0.1
  Port = $FD_PORT
  Password = "$FD_PW"
}
Storage {
  Name = File
  Address = 127.0.0.1
  Port = $SD_PORT
  Password = "$SD_PW"
  Device = FileStorage
  Media Type = File
}
Pool { Name = Full; Pool Type = Backup; Label Format = "Full-"; Maximum Volume Bytes = 10G; Maximum Volumes = 100 }
Pool { Name = Incremental; Pool Type = Backup; Label Format = "Incr-"; Maximum Volume Bytes = 10G; Maximum Volumes = 100 }
Job {
  Name = RestoreFiles
  Type = Restore
  Client = bench-fd
  FileSet = small-lz4
  Storage = File
  Pool = Full
  Messages = Standard
  Where = "$RUN/restore/default"
}
EOF
  fileset small-lz4 "$SMALL" yes
  fileset large-lz4 "$LARGE" yes
  fileset small-plain "$SMALL" no
  fileset large-plain "$LARGE" no
  backup_job backup-small small-lz4
  backup_job backup-large large-lz4
  backup_job backup-small-plain small-plain
  backup_job backup-large-plain large-plain
} > "$RUN/etc/dir.conf"
cat > "$RUN/etc/bconsole.conf" <<EOF
Director {
  Name = bench-dir
  Address = 127.0.0.1
  DIRport = $DIR_PORT
  Password = "$DIR_PW"
}
EOF
"$BIN" dir -t -c "$RUN/etc/dir.conf" > "$RUN/logs/dir-check.log" 2>&1 || die "the director configuration does not check (cairn dir -t): $(cat "$RUN/logs/dir-check.log")"

start_daemon() {  # kind -> sets <KIND>_PID
  local kind=$1 p
  "$BIN" "$kind" -f -c "$RUN/etc/$kind.conf" > "$RUN/logs/$kind.out" 2> "$RUN/logs/$kind.err" &
  p=$!
  PIDS+=("$p")
  for _ in $(seq 100); do
    if grep -q "cairn-$kind: listening on" "$RUN/logs/$kind.err" 2>/dev/null; then break; fi
    kill -0 "$p" 2>/dev/null || die "cairn $kind exited at start: $(tail -5 "$RUN/logs/$kind.err")"
    sleep 0.1
  done
  grep -q "cairn-$kind: listening on" "$RUN/logs/$kind.err" || die "cairn $kind did not report listening within 10 s"
  log "$(grep -m1 "listening on" "$RUN/logs/$kind.err") (pid $p)"
  case $kind in dir) DIR_PID=$p ;; sd) SD_PID=$p ;; fd) FD_PID=$p ;; esac
}
start_daemon sd
start_daemon fd
start_daemon dir

console() {  # console script on stdin -> output on stdout (also appended to logs/console.log)
  local out
  out=$(timeout "$JOB_TIMEOUT" "$BIN" console -c "$RUN/etc/bconsole.conf") || die "console session failed or timed out ($JOB_TIMEOUT s)"
  printf '%s\n' "$out" >> "$RUN/logs/console.log"
  printf '%s\n' "$out"
}

JOBID=""
run_and_wait() {  # $1 = console command that queues one job; sets JOBID
  local out
  out=$(printf '%s\nwait\n' "$1" | console)
  JOBID=$(printf '%s\n' "$out" | sed -n 's/.*Job queued\. JobId=\([0-9][0-9]*\).*/\1/p' | tail -1)
  [ -n "$JOBID" ] || die "no job queued by '$1':
$out"
}
check_job() {  # $1 jobid, $2 label: insists on JobStatus T, keeps the job log
  local out
  out=$(printf 'wait jobid=%s\nlist joblog jobid=%s\n' "$1" "$1" | console)
  printf '%s\n' "$out" > "$RUN/logs/job-$1-$2.log"
  if ! printf '%s\n' "$out" | grep -q 'JobStatus=OK (T)'; then
    die "job $1 ($2) did not end OK (T):
$out"
  fi
}
job_field() {  # $1 jobid, $2 column of `llist jobs` (jobfiles, jobbytes, ...)
  printf 'llist jobid=%s\n' "$1" | console | awk -v k="$2" -F: 'tolower($1) ~ "^ *" k "$" {gsub(/[ ,]/, "", $2); print $2; exit}'
}

diag_begin() {  # $1 step name: optional thread sampler and perf recorders
  DIAG_PIDS=()
  if [ "$THREADS" = 1 ]; then
    rm -f "$RUN/logs/threads.stop"
    python3 "$HERE/threads.py" "$RUN/logs/threads-$1.txt" "$RUN/logs/threads.stop" 0.02 \
      "$FD_PID:fd" "$SD_PID:sd" "$DIR_PID:dir" > "$RUN/logs/threads-$1.best" &
    THREADS_PID=$!
  fi
  if [ "$PERF" = 1 ]; then
    local d
    for d in fd sd; do
      perf record -F 499 -g -o "$RUN/logs/perf-$1-$d.data" -p "$(pid_of $d)" > /dev/null 2>&1 &
      DIAG_PIDS+=($!)
    done
  fi
}
diag_end() {  # $1 step name
  local p d busy thread
  for p in "${DIAG_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${DIAG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  DIAG_PIDS=()
  if [ "$THREADS" = 1 ]; then
    touch "$RUN/logs/threads.stop"
    wait "$THREADS_PID" || true
    THREADS_PID=""
    while read -r d busy thread; do
      fig "$1.$d.busiest_thread_pct" "$busy ($thread)"
    done < "$RUN/logs/threads-$1.best"
  fi
}

cairn_step() {  # $1 figure prefix, $2 console command, $3 bytes, $4 files, $5 read-limit key, $6 tar key
  local name=$1
  log "cairn: $name ($2)"
  drop_caches
  acct_begin
  diag_begin "$name"
  local t0 t1
  t0=$(now)
  run_and_wait "$2"
  t1=$(now)
  ELAPSED=$(calc "$t1 - $t0" 3)
  diag_end "$name"
  acct_end "$name"
  check_job "$JOBID" "$name"
  SEC[$name]=$ELAPSED
  rates "$name" "$ELAPSED" "$3" "$4"
  if [ -n "$5" ]; then fig "$name.ratio_to_read_limit" "$(calc "$ELAPSED / ${SEC[$5]}")"; fi
  if [ -n "$6" ]; then fig "$name.ratio_to_tar" "$(calc "$ELAPSED / ${SEC[$6]}")"; fi
  fig "$name.jobid" "$JOBID"
}

verify_restore() {  # $1 restore root, $2 original dir, $3 expected files, $4 "sample" or "all"
  local root="$1$2" n bad=0 f
  n=$(find "$root" -type f | wc -l)
  [ "$n" = "$3" ] || die "restore into $1: $n files, expected $3"
  if [ "$4" = all ]; then
    while IFS= read -r -d '' f; do cmp -s "$f" "$root/${f#"$2"/}" || { log "differs: $f"; bad=$((bad + 1)); }; done < <(find "$2" -type f -print0)
  else
    # every 97th file plus every file the incremental changed
    while IFS= read -r f; do cmp -s "$f" "$root/${f#"$2"/}" || { log "differs: $f"; bad=$((bad + 1)); }; done < <(
      { find "$2" -type f | sort | awk 'NR % 97 == 1'
        $GEN list-changed "$2" --files "$SMALL_N" --dirs "$SMALL_DIRS" --every "$EVERY" --offset "$OFFSET"; })
  fi
  [ "$bad" = 0 ] || die "restore into $1: $bad files differ from the originals"
}

# ---------------------------------------------------------------- 4. Cairn backups
cairn_step small.full "run job=backup-small level=Full yes" "$small_bytes" "$small_files" read.small tar.small.create
SMALL_FULL=$JOBID
fig small.full.job_bytes "$(job_field "$JOBID" jobbytes)"
cairn_step large.full "run job=backup-large level=Full yes" "$large_bytes" "$large_files" read.large tar.large.create
fig large.full.job_bytes "$(job_field "$JOBID" jobbytes)"
LARGE_FULL=$JOBID

log "changing 1% of the small files (content + mtime)"
sleep 1.1   # mtimes strictly after the Full's start
$GEN modify "$SMALL" --files "$SMALL_N" --dirs "$SMALL_DIRS" --seed "$SEED" --every "$EVERY" --offset "$OFFSET"
changed=$($GEN list-changed "$SMALL" --files "$SMALL_N" --dirs "$SMALL_DIRS" --every "$EVERY" --offset "$OFFSET" | wc -l)
changed_bytes=$($GEN list-changed "$SMALL" --files "$SMALL_N" --dirs "$SMALL_DIRS" --every "$EVERY" --offset "$OFFSET" | xargs stat -c %s | awk '{s+=$1} END {print s}')
cairn_step small.incr "run job=backup-small level=Incremental yes" "$changed_bytes" "$changed" "" ""
SMALL_INCR=$JOBID
incr_files=$(job_field "$JOBID" jobfiles)
fig small.incr.job_files "$incr_files"
[ "$incr_files" -ge "$changed" ] 2>/dev/null || die "the incremental saved $incr_files files, expected at least $changed"

# ---------------------------------------------------------------- 5. restores
rm -rf "$RUN/restore"; mkdir -p "$RUN/restore"
cairn_step small.restore "restore jobid=$SMALL_FULL,$SMALL_INCR all done yes where=$RUN/restore/small" \
  "$small_bytes" "$small_files" read.small tar.small.extract
verify_restore "$RUN/restore/small" "$SMALL" "$small_files" sample
rm -rf "$RUN/restore/small"
cairn_step large.restore "restore jobid=$LARGE_FULL all done yes where=$RUN/restore/large" \
  "$large_bytes" "$large_files" read.large tar.large.extract
verify_restore "$RUN/restore/large" "$LARGE" "$large_files" all
rm -rf "$RUN/restore/large"

# ---------------------------------------------------------------- 6. without compression
if [ "$PLAIN" = 1 ]; then
  cairn_step small.plain.full "run job=backup-small-plain level=Full yes" "$small_bytes" "$small_files" read.small tar.small.create
  SP=$JOBID
  cairn_step large.plain.full "run job=backup-large-plain level=Full yes" "$large_bytes" "$large_files" read.large tar.large.create
  LP=$JOBID
  cairn_step small.plain.restore "restore jobid=$SP all done yes where=$RUN/restore/small-plain" \
    "$small_bytes" "$small_files" read.small tar.small.extract
  verify_restore "$RUN/restore/small-plain" "$SMALL" "$small_files" sample
  rm -rf "$RUN/restore/small-plain"
  cairn_step large.plain.restore "restore jobid=$LP all done yes where=$RUN/restore/large-plain" \
    "$large_bytes" "$large_files" read.large tar.large.extract
  verify_restore "$RUN/restore/large-plain" "$LARGE" "$large_files" all
  rm -rf "$RUN/restore/large-plain"
fi

# ---------------------------------------------------------------- 7. totals
fig fd.peak_rss_MiB "$(calc "${PEAK[fd]} / 1024" 1)"
fig sd.peak_rss_MiB "$(calc "${PEAK[sd]} / 1024" 1)"
fig dir.peak_rss_MiB "$(calc "${PEAK[dir]} / 1024" 1)"
fig rss.per_step_reset "$([ "$HWM_RESET" = 1 ] && echo yes || echo no)"
cat_bytes=$(find "$RUN/var/dir" -maxdepth 1 -type f \( -name '*.db' -o -name '*.db-wal' -o -name '*.db-shm' \) -printf '%s\n' | awk '{s+=$1} END {print s+0}')
fig catalog.MiB "$(calc "$cat_bytes / 1048576" 1)"
fig volumes.MiB "$(calc "$(du -sb "$RUN/volumes" | cut -f1) / 1048576" 1)"

target() {  # name measured limit
  local ok
  ok=$(awk "BEGIN { print ($2 <= $3) ? \"PASS\" : \"MISS\" }")
  fig "target.$1" "$ok (measured $2, target <= $3)"
}
target small.full.ratio_to_read_limit "$(calc "${SEC[small.full]} / ${SEC[read.small]}")" 1.3
target large.full.ratio_to_read_limit "$(calc "${SEC[large.full]} / ${SEC[read.large]}")" 1.5
target small.incr.seconds "${SEC[small.incr]}" 1.5
target small.restore.ratio_to_tar_extract "$(calc "${SEC[small.restore]} / ${SEC[tar.small.extract]}")" 1.5
target large.restore.ratio_to_tar_extract "$(calc "${SEC[large.restore]} / ${SEC[tar.large.extract]}")" 1.5
target fd.peak_rss_MiB "$(calc "${PEAK[fd]} / 1024" 1)" 64
log "done; figures in $RESULTS, daemon and job logs in $RUN/logs"
