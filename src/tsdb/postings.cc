#include "tsdb/postings.h"

#include <algorithm>
#include <bit>

namespace vigil::tsdb {
namespace {

// When one list is this many times longer than the other, searching the long
// one (galloping) beats walking it element by element.
constexpr size_t kGallopRatio = 16;

// A union switches from a heap merge to a bitmap when the bitmap would need no
// more 64-bit words than there are input elements: one pass over the inputs
// plus one over the words, instead of log(k) heap work per element.
constexpr size_t kBitmapBitsPerElement = 64;

// First position in [first, last) whose value is >= v. Probes 1, 2, 4, ...
// elements ahead, then binary-searches the last step: O(log distance).
template <typename T>
const T* GallopLowerBound(const T* first, const T* last, T v) {
  if (first == last || *first >= v) return first;
  size_t step = 1;
  const T* lo = first;  // *lo < v holds throughout
  while (true) {
    size_t remaining = static_cast<size_t>(last - lo);
    if (step >= remaining) return std::lower_bound(lo + 1, last, v);
    const T* probe = lo + step;
    if (*probe >= v) return std::lower_bound(lo + 1, probe, v);
    lo = probe;
    step <<= 1;
  }
}

template <typename T>
void IntersectGalloping(std::span<const T> small, std::span<const T> large, std::vector<T>* out) {
  const T* pos = large.data();
  const T* end = large.data() + large.size();
  for (T v : small) {
    pos = GallopLowerBound(pos, end, v);
    if (pos == end) return;
    if (*pos == v) out->push_back(v);
  }
}

template <typename T>
void IntersectLinear(std::span<const T> a, std::span<const T> b, std::vector<T>* out) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      out->push_back(a[i]);
      ++i;
      ++j;
    }
  }
}

template <typename T>
void UnionTwo(std::span<const T> a, std::span<const T> b, std::vector<T>* out) {
  out->reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      out->push_back(a[i++]);
    } else if (b[j] < a[i]) {
      out->push_back(b[j++]);
    } else {
      out->push_back(a[i]);
      ++i;
      ++j;
    }
  }
  out->insert(out->end(), a.begin() + static_cast<std::ptrdiff_t>(i), a.end());
  out->insert(out->end(), b.begin() + static_cast<std::ptrdiff_t>(j), b.end());
}

template <typename T>
void UnionBitmap(std::span<const std::span<const T>> lists, T min, T max, size_t total,
                 std::vector<T>* out) {
  // Scratch reused per thread: a union runs on every regex select.
  thread_local std::vector<uint64_t> words;
  const uint64_t span = static_cast<uint64_t>(max - min);
  words.assign(static_cast<size_t>(span / 64 + 1), 0);
  for (const auto& list : lists) {
    for (T v : list) {
      const uint64_t bit = static_cast<uint64_t>(v - min);
      words[bit >> 6] |= uint64_t{1} << (bit & 63);
    }
  }
  out->reserve(total);
  for (size_t w = 0; w < words.size(); ++w) {
    uint64_t word = words[w];
    while (word != 0) {
      const int bit = std::countr_zero(word);
      out->push_back(static_cast<T>(min + static_cast<T>(w * 64 + static_cast<size_t>(bit))));
      word &= word - 1;
    }
  }
}

template <typename T>
void UnionHeap(std::span<const std::span<const T>> lists, size_t total, std::vector<T>* out) {
  struct Cursor {
    T value;
    uint32_t list;
    uint32_t pos;
  };
  // Min-heap on value; std heap functions build a max-heap, so invert.
  auto greater = [](const Cursor& x, const Cursor& y) { return x.value > y.value; };
  std::vector<Cursor> heap;
  heap.reserve(lists.size());
  for (size_t i = 0; i < lists.size(); ++i) {
    if (!lists[i].empty()) heap.push_back(Cursor{lists[i][0], static_cast<uint32_t>(i), 0});
  }
  std::make_heap(heap.begin(), heap.end(), greater);
  out->reserve(total);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), greater);
    Cursor& c = heap.back();
    if (out->empty() || out->back() != c.value) out->push_back(c.value);
    const auto& list = lists[c.list];
    if (++c.pos < list.size()) {
      c.value = list[c.pos];
      std::push_heap(heap.begin(), heap.end(), greater);
    } else {
      heap.pop_back();
    }
  }
}

}  // namespace

template <typename T>
void IntersectPostings(std::span<const T> a, std::span<const T> b, std::vector<T>* out) {
  out->clear();
  if (a.empty() || b.empty()) return;
  if (a.size() > b.size()) std::swap(a, b);
  if (b.front() > a.back() || a.front() > b.back()) return;
  if (b.size() / a.size() >= kGallopRatio) {
    IntersectGalloping(a, b, out);
  } else {
    IntersectLinear(a, b, out);
  }
}

template <typename T>
void IntersectManyPostings(std::span<const std::span<const T>> lists, std::vector<T>* out) {
  out->clear();
  if (lists.empty()) return;
  std::vector<std::span<const T>> order(lists.begin(), lists.end());
  std::sort(order.begin(), order.end(),
            [](const auto& x, const auto& y) { return x.size() < y.size(); });
  if (order.size() == 1) {
    out->assign(order[0].begin(), order[0].end());
    return;
  }
  IntersectPostings(order[0], order[1], out);
  std::vector<T> scratch;
  for (size_t i = 2; i < order.size() && !out->empty(); ++i) {
    IntersectPostings(std::span<const T>(*out), order[i], &scratch);
    out->swap(scratch);
  }
}

template <typename T>
void UnionPostings(std::span<const std::span<const T>> lists, std::vector<T>* out) {
  out->clear();
  size_t total = 0;
  size_t non_empty = 0;
  const std::span<const T>* first_non_empty = nullptr;
  T min = 0, max = 0;
  for (const auto& list : lists) {
    if (list.empty()) continue;
    if (non_empty == 0) {
      first_non_empty = &list;
      min = list.front();
      max = list.back();
    } else {
      min = std::min(min, list.front());
      max = std::max(max, list.back());
    }
    ++non_empty;
    total += list.size();
  }
  if (non_empty == 0) return;
  if (non_empty == 1) {
    out->assign(first_non_empty->begin(), first_non_empty->end());
    return;
  }
  if (non_empty == 2) {
    std::span<const T> pair[2];
    size_t n = 0;
    for (const auto& list : lists) {
      if (!list.empty()) pair[n++] = list;
    }
    UnionTwo(pair[0], pair[1], out);
    return;
  }
  const uint64_t span = static_cast<uint64_t>(max - min);  // range - 1, cannot overflow
  if (span / kBitmapBitsPerElement < total) {
    UnionBitmap(lists, min, max, total, out);
  } else {
    UnionHeap(lists, total, out);
  }
}

template <typename T>
void SubtractPostings(std::span<const T> a, std::span<const T> b, std::vector<T>* out) {
  out->clear();
  if (a.empty()) return;
  if (b.empty() || b.front() > a.back() || a.front() > b.back()) {
    out->assign(a.begin(), a.end());
    return;
  }
  out->reserve(a.size());
  if (b.size() / a.size() >= kGallopRatio) {
    // Few candidates, many exclusions: look each candidate up.
    const T* pos = b.data();
    const T* end = b.data() + b.size();
    for (T v : a) {
      pos = GallopLowerBound(pos, end, v);
      if (pos == end || *pos != v) out->push_back(v);
    }
    return;
  }
  if (a.size() / b.size() >= kGallopRatio) {
    // Many candidates, few exclusions: copy runs between the exclusions.
    const T* pos = a.data();
    const T* end = a.data() + a.size();
    for (T v : b) {
      const T* hit = GallopLowerBound(pos, end, v);
      out->insert(out->end(), pos, hit);
      pos = (hit != end && *hit == v) ? hit + 1 : hit;
      if (pos == end) break;
    }
    out->insert(out->end(), pos, end);
    return;
  }
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      out->push_back(a[i++]);
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++i;
      ++j;
    }
  }
  out->insert(out->end(), a.begin() + static_cast<std::ptrdiff_t>(i), a.end());
}

template <typename T>
bool PostingsIntersect(std::span<const T> a, std::span<const T> b) {
  if (a.empty() || b.empty()) return false;
  if (a.size() > b.size()) std::swap(a, b);
  if (b.front() > a.back() || a.front() > b.back()) return false;
  const T* pos = b.data();
  const T* end = b.data() + b.size();
  for (T v : a) {
    pos = GallopLowerBound(pos, end, v);
    if (pos == end) return false;
    if (*pos == v) return true;
  }
  return false;
}

template <typename T>
bool PostingsContain(std::span<const T> list, T value) {
  return std::binary_search(list.begin(), list.end(), value);
}

#define VIGIL_INSTANTIATE_POSTINGS(T)                                                            \
  template void IntersectPostings<T>(std::span<const T>, std::span<const T>, std::vector<T>*);  \
  template void IntersectManyPostings<T>(std::span<const std::span<const T>>, std::vector<T>*); \
  template void UnionPostings<T>(std::span<const std::span<const T>>, std::vector<T>*);         \
  template void SubtractPostings<T>(std::span<const T>, std::span<const T>, std::vector<T>*);   \
  template bool PostingsIntersect<T>(std::span<const T>, std::span<const T>);                   \
  template bool PostingsContain<T>(std::span<const T>, T);

VIGIL_INSTANTIATE_POSTINGS(uint32_t)
VIGIL_INSTANTIATE_POSTINGS(uint64_t)

#undef VIGIL_INSTANTIATE_POSTINGS

}  // namespace vigil::tsdb
