#include "cli/cli.h"

#include <cstdio>

namespace vigil::cli {

int Main(int, char**) {
  std::puts("vigil: under construction");
  return 0;
}

}  // namespace vigil::cli
