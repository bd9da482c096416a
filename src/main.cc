// vigil: the INFRA node in one binary. See README.md.
#include "cli/cli.h"

int main(int argc, char** argv) { return vigil::cli::Main(argc, argv); }
