#include "cmdb/sqlite_store.h"

#include <sqlite3.h>

#include <map>
#include <utility>

#include "cmdb/schema_sql.h"
#include "cmdb/store_base.h"

namespace vigil::cmdb {
namespace {

// One prepared statement; finalized on destruction.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Status status() const {
    return rc_ == SQLITE_OK ? Status::Ok() : Status::IOError(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
  }
  void Bind(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  // Runs to completion (for statements without rows).
  Status Run() {
    int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Status::IOError(std::string("sqlite: ") + sqlite3_errmsg(db_));
    return Status::Ok();
  }
  // Advances to the next row; false at the end or on error (see Done()).
  bool Step() {
    rc_ = sqlite3_step(stmt_);
    return rc_ == SQLITE_ROW;
  }
  Status Done() const {
    return rc_ == SQLITE_DONE || rc_ == SQLITE_ROW ? Status::Ok()
                                                   : Status::IOError(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

class SqliteStore final : public StoreBase {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  const char* backend() const override { return "sqlite"; }

  Status Exec(std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return Status::IOError("sqlite: " + msg);
    }
    return Status::Ok();
  }

  Status Migrate() {
    if (Status st = Exec("BEGIN IMMEDIATE"); !st.ok()) return st;
    Status st = MigrateLocked();
    if (!st.ok()) {
      Rollback();
      return st;
    }
    return Commit();
  }

 protected:
  Status BeginRead() override { return Exec("BEGIN"); }
  Status BeginExclusive() override { return Exec("BEGIN IMMEDIATE"); }
  Status Commit() override { return Exec("COMMIT"); }
  void Rollback() override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

  Status ReadInventory(Inventory* inv) override {
    {
      Statement s(db_, "SELECT key, value FROM global_var ORDER BY ord");
      if (!s.status().ok()) return s.status();
      while (s.Step()) inv->global_vars.push_back(Var{s.Text(0), s.Text(1)});
      if (Status st = s.Done(); !st.ok()) return st;
    }
    std::map<std::string, size_t> group_index;
    {
      Statement s(db_, "SELECT cls FROM \"group\" ORDER BY ord");
      if (!s.status().ok()) return s.status();
      while (s.Step()) {
        group_index[s.Text(0)] = inv->groups.size();
        inv->groups.push_back(Group{s.Text(0), {}, {}});
      }
      if (Status st = s.Done(); !st.ok()) return st;
    }
    {
      Statement s(db_, "SELECT cls, key, value FROM group_var ORDER BY cls, ord");
      if (!s.status().ok()) return s.status();
      while (s.Step()) {
        auto it = group_index.find(s.Text(0));
        if (it != group_index.end()) inv->groups[it->second].vars.push_back(Var{s.Text(1), s.Text(2)});
      }
      if (Status st = s.Done(); !st.ok()) return st;
    }
    std::map<std::pair<std::string, std::string>, Host*> hosts;
    {
      Statement s(db_, "SELECT cls, ip FROM host ORDER BY cls, ord");
      if (!s.status().ok()) return s.status();
      while (s.Step()) {
        auto it = group_index.find(s.Text(0));
        if (it != group_index.end()) inv->groups[it->second].hosts.push_back(Host{s.Text(1), {}});
      }
      if (Status st = s.Done(); !st.ok()) return st;
      for (auto& g : inv->groups) {
        for (auto& h : g.hosts) hosts[{g.name, h.name}] = &h;
      }
    }
    {
      Statement s(db_, "SELECT cls, ip, key, value FROM host_var ORDER BY cls, ip, ord");
      if (!s.status().ok()) return s.status();
      while (s.Step()) {
        auto it = hosts.find({s.Text(0), s.Text(1)});
        if (it != hosts.end()) it->second->vars.push_back(Var{s.Text(2), s.Text(3)});
      }
      if (Status st = s.Done(); !st.ok()) return st;
    }
    return Status::Ok();
  }

  Status WriteInventory(const Inventory& inv) override {
    if (Status st = Exec("DELETE FROM host_var; DELETE FROM group_var; DELETE FROM host; DELETE FROM \"group\";"
                         "DELETE FROM global_var; UPDATE cmdb_state SET revision = revision + 1 WHERE id = 1");
        !st.ok()) {
      return st;
    }
    Statement gv(db_, "INSERT INTO global_var (key, value, ord) VALUES (?, ?, ?)");
    Statement g(db_, "INSERT INTO \"group\" (cls, ord) VALUES (?, ?)");
    Statement grv(db_, "INSERT INTO group_var (cls, key, value, ord) VALUES (?, ?, ?, ?)");
    Statement h(db_, "INSERT INTO host (cls, ip, ord) VALUES (?, ?, ?)");
    Statement hv(db_, "INSERT INTO host_var (cls, ip, key, value, ord) VALUES (?, ?, ?, ?, ?)");
    for (const Statement* s : {&gv, &g, &grv, &h, &hv}) {
      if (!s->status().ok()) return s->status();
    }
    int64_t ord = 0;
    for (const auto& v : inv.global_vars) {
      gv.Bind(1, v.key);
      gv.Bind(2, v.value);
      gv.Bind(3, ord++);
      if (Status st = gv.Run(); !st.ok()) return st;
    }
    int64_t gord = 0;
    for (const auto& group : inv.groups) {
      g.Bind(1, group.name);
      g.Bind(2, gord++);
      if (Status st = g.Run(); !st.ok()) return st;
      ord = 0;
      for (const auto& v : group.vars) {
        grv.Bind(1, group.name);
        grv.Bind(2, v.key);
        grv.Bind(3, v.value);
        grv.Bind(4, ord++);
        if (Status st = grv.Run(); !st.ok()) return st;
      }
      int64_t hord = 0;
      for (const auto& host : group.hosts) {
        h.Bind(1, group.name);
        h.Bind(2, host.name);
        h.Bind(3, hord++);
        if (Status st = h.Run(); !st.ok()) return st;
        ord = 0;
        for (const auto& v : host.vars) {
          hv.Bind(1, group.name);
          hv.Bind(2, host.name);
          hv.Bind(3, v.key);
          hv.Bind(4, v.value);
          hv.Bind(5, ord++);
          if (Status st = hv.Run(); !st.ok()) return st;
        }
      }
    }
    return Status::Ok();
  }

  Result<int64_t> ReadRevision() override {
    Statement s(db_, "SELECT revision FROM cmdb_state WHERE id = 1");
    if (!s.status().ok()) return s.status();
    if (!s.Step()) return s.Done().ok() ? Status::Corruption("cmdb_state has no row") : s.Done();
    return s.Int(0);
  }

  Result<std::string> ReadViewText() override {
    Statement s(db_, "SELECT text FROM inventory");
    if (!s.status().ok()) return s.status();
    if (!s.Step()) return s.Done().ok() ? Status::Corruption("inventory view returned no row") : s.Done();
    return s.Text(0);
  }

  Result<int> ReadSchemaVersion() override {
    Statement s(db_, "SELECT coalesce(max(version), 0) FROM schema_version");
    if (!s.status().ok()) return s.status();
    if (!s.Step()) return s.Done();
    return static_cast<int>(s.Int(0));
  }

 private:
  Status MigrateLocked() {
    if (Status st = Exec("CREATE TABLE IF NOT EXISTS schema_version ("
                         "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)");
        !st.ok()) {
      return st;
    }
    auto version = ReadSchemaVersion();
    if (!version.ok()) return version.status();
    return ApplyMigrations(*version, SqliteMigrations(), [&](std::string_view sql) { return Exec(sql); });
  }

  sqlite3* db_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status::IOError("open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, kSqliteBusyTimeoutMs);
  auto store = std::make_unique<SqliteStore>(db);
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
    if (Status st = store->Exec(pragma); !st.ok()) return Status::IOError(path + ": " + st.message());
  }
  if (Status st = store->Migrate(); !st.ok()) return Status::IOError(path + ": " + st.message());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace vigil::cmdb
