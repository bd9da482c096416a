#pragma once
// Rendering of the scraper's targets: Prometheus 2.42's GET /api/v1/targets
// JSON and a plain HTML page for GET /targets.

#include <string>
#include <string_view>

#include "scrape/scrape_manager.h"

namespace vigil::scrape {

// The `data` object of /api/v1/targets: {"activeTargets":[...],
// "droppedTargets":[...]} with Prometheus' field names. `state` is
// "active", "dropped" or "any" (also ""); `pool`, when not empty, keeps only
// that scrape pool. Unknown states give both lists empty, as Prometheus does.
std::string TargetsJson(const TargetsSnapshot& snapshot, std::string_view state, std::string_view pool);

// The `data` object of /api/v1/metadata: {"family":[{"type","help","unit"}]}
// for `metric` only when it is not empty, at most `limit` families when it
// is positive (Prometheus' parameters).
std::string MetadataJson(const MetadataMap& metadata, std::string_view metric, int64_t limit);

// A self-contained HTML page listing every active target by pool with its
// state, labels, last scrape, duration and error.
std::string TargetsHtml(const TargetsSnapshot& snapshot);

}  // namespace vigil::scrape
