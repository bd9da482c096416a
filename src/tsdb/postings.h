#pragma once
// Postings: sorted lists of series references and the set operations the
// series index combines them with (intersect, union, subtract).
//
// A postings list is a strictly increasing sequence of refs. Every operation
// below takes its inputs as spans (no ownership) and writes into a caller-owned
// vector, so a caller that reuses its output vectors does not allocate on the
// hot path. Operations adapt to the sizes they are given: when one input is
// much shorter than the other they gallop (exponential + binary search) through
// the longer one instead of walking it, and a union of many lists over a dense
// ref range is done with a bitmap instead of a heap.
//
// The functions are defined for uint32_t and uint64_t elements (explicitly
// instantiated in postings.cc). They are pure: safe to call from any thread on
// inputs nobody mutates meanwhile.

#include <cstdint>
#include <span>
#include <vector>

namespace vigil::tsdb {

// Reference to a series in a SeriesIndex: a dense id assigned at creation,
// never reused by the same index.
using SeriesRef = uint32_t;

// Writes the elements present in both `a` and `b` to `*out` (cleared first).
// REQUIRES: `a` and `b` sorted strictly increasing; `out` aliases neither.
template <typename T>
void IntersectPostings(std::span<const T> a, std::span<const T> b, std::vector<T>* out);

// Intersects every list in `lists` (smallest first) into `*out` (cleared first).
// An empty `lists` yields an empty result.
// REQUIRES: every list sorted strictly increasing; `out` aliases none of them.
template <typename T>
void IntersectManyPostings(std::span<const std::span<const T>> lists, std::vector<T>* out);

// Writes the elements present in at least one list to `*out` (cleared first),
// sorted and without duplicates.
// REQUIRES: every list sorted strictly increasing; `out` aliases none of them.
template <typename T>
void UnionPostings(std::span<const std::span<const T>> lists, std::vector<T>* out);

// Writes the elements of `a` that are not in `b` to `*out` (cleared first).
// REQUIRES: `a` and `b` sorted strictly increasing; `out` aliases neither.
template <typename T>
void SubtractPostings(std::span<const T> a, std::span<const T> b, std::vector<T>* out);

// Whether `a` and `b` have at least one element in common. Stops at the first.
// REQUIRES: `a` and `b` sorted strictly increasing.
template <typename T>
bool PostingsIntersect(std::span<const T> a, std::span<const T> b);

// Whether `list` contains `value` (binary search).
// REQUIRES: `list` sorted strictly increasing.
template <typename T>
bool PostingsContain(std::span<const T> list, T value);

}  // namespace vigil::tsdb
