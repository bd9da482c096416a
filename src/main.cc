// vigil: the INFRA node in one binary. See README.md.
#include <malloc.h>

#include <cstdlib>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own arena (up to 8 per core);
  // batches parsed on one thread and freed on another then leave every arena
  // fragmented. Two arenas cut peak RSS under log ingestion from 661 MiB to
  // 356-485 MiB in bench/logs (ingest rate within the run-to-run noise). An
  // explicit MALLOC_ARENA_MAX in the environment still wins.
#ifdef M_ARENA_MAX
  if (getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
#endif
  // By default glibc hands freed memory at the top of a heap back to the
  // kernel once 128 KiB are free, so every query refaults (and the kernel
  // re-zeroes) the pages of its sample and result buffers: a 24 h range
  // query spent about a third of its evaluation time in page faults and
  // first-touch stores. Up to 128 MiB of free memory per arena is kept
  // for reuse instead. MALLOC_TRIM_THRESHOLD_ in the environment still wins.
  if (getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) mallopt(M_TRIM_THRESHOLD, 128 << 20);
  return vigil::cli::Main(argc, argv);
}
