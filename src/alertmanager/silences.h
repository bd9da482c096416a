#pragma once
// SilenceStore: Alertmanager's silences. A silence mutes every alert whose
// labels satisfy all of its matchers while start <= now < end. Expired
// silences are kept for `retention` after their end, then dropped. Every
// change is appended to a RecordLog (fsync'd), so silences survive restarts
// and kill -9; Maintain() compacts the log into a snapshot.
//
// Thread-safety: every method may be called from any thread.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alertmanager/matcher.h"
#include "alertmanager/record_log.h"

namespace vigil::alertmanager {

struct Silence {
  std::string id;
  Matchers matchers;
  int64_t starts_at = 0;
  int64_t ends_at = 0;
  int64_t updated_at = 0;
  std::string created_by;
  std::string comment;
};

enum class SilenceState { kPending, kActive, kExpired };
// "pending", "active", "expired" as the API writes them.
const char* SilenceStateName(SilenceState s);
SilenceState StateAt(const Silence& s, int64_t now);

class SilenceStore {
 public:
  // `retention_ms`: how long an expired silence is kept (Alertmanager: 120h).
  explicit SilenceStore(int64_t retention_ms) : retention_ms_(retention_ms) {}

  // Loads the silences persisted in `dir` and starts appending there.
  // Without Open the store works in memory only.
  Status Open(const std::string& dir);

  // Creates a silence (s.id empty) or updates one, as POST /api/v2/silences
  // does. Returns the id of the silence now in force: updating an active
  // silence's matchers or start, or any expired silence, creates a new id
  // (and expires the old one). Errors: InvalidArgument for invalid silences,
  // NotFound for an unknown id.
  Result<std::string> Set(Silence s, int64_t now);
  // Ends a pending or active silence now. NotFound / InvalidArgument
  // ("silence <id> already expired").
  Status Expire(const std::string& id, int64_t now);
  std::optional<Silence> Get(const std::string& id) const;
  // Every silence kept, in no particular order.
  std::vector<Silence> List() const;
  // Ids of the active silences that match `labels`, sorted.
  std::vector<std::string> Mutes(const LabelSet& labels, int64_t now) const;
  // Counts per state at `now`: [pending, active, expired].
  std::array<int, 3> CountByState(int64_t now) const;
  // Drops silences expired longer than the retention ago and compacts the
  // persistent log.
  Status Maintain(int64_t now);

 private:
  Status Persist(const Silence& s);
  static std::string Encode(const Silence& s);

  int64_t retention_ms_;
  mutable std::mutex mu_;
  std::map<std::string, Silence> silences_;
  RecordLog log_;
  bool persistent_ = false;
};

// Validates a silence as Alertmanager does: at least one matcher, valid
// label names, end after start, and not every matcher matching "".
Status ValidateSilence(const Silence& s);
// A random RFC 4122 version 4 UUID ("0b3a...-4...").
std::string NewUuid();

}  // namespace vigil::alertmanager
