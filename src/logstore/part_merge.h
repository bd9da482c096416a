#pragma once
// Streaming merge of log parts: the rows of several parts, stream by stream
// and in time order, re-encoded into one PartBuilder while holding only a
// block per input (plus the blocks the output block being built points
// into) in memory, whatever the size of the parts.

#include <cstdint>
#include <memory>
#include <span>

#include "base/status.h"
#include "logstore/part.h"

namespace vigil::logstore {

// Adds every row of `inputs` to `out`: for each stream (by id), the rows of
// all inputs merged by time (ties keep input order, then block order), cut
// into blocks of at most kMaxBlockRows rows / kMaxBlockRawBytes bytes. A
// block that fails to decode is skipped and counted in *corrupt_blocks.
// Thread-compatible: the parts are immutable; `out` is the caller's.
void MergeParts(std::span<const std::shared_ptr<Part>> inputs, PartBuilder* out, uint64_t* corrupt_blocks);

}  // namespace vigil::logstore
