#pragma once
// Offline commands on alertmanager.yml files, for `vigil alertmanager ...`:
// the counterparts of `amtool check-config` and `amtool config routes test`.

#include <string>
#include <vector>

namespace vigil::alertmanager {

// Validates each file, printing amtool's report per file to stdout (errors
// to stderr). Returns 0 when every file is valid, 1 otherwise.
int CheckConfigCommand(const std::vector<std::string>& files);

// Routes the label set given as `name=value` items through the file's route
// tree and prints the receivers, comma-separated, as amtool does. Returns 0,
// or 1 on a bad file or label.
int RoutesTestCommand(const std::string& file, const std::vector<std::string>& labels);

}  // namespace vigil::alertmanager
