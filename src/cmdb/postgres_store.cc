#include "cmdb/postgres_store.h"

#include <libpq-fe.h>

#include <map>
#include <memory>
#include <utility>

#include "cmdb/schema_sql.h"
#include "cmdb/store_base.h"

namespace vigil::cmdb {
namespace {

// Advisory lock key that serialises migrations ("vigilcmd" in ASCII).
constexpr long long kMigrationLockKey = 0x7669676c6c636d64LL;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

std::string PgError(PGconn* conn, const PGresult* res) {
  std::string msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

// Appends `s` as one field of COPY's text format.
void AppendCopyField(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '\t': *out += "\\t"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      default: out->push_back(c);
    }
  }
}

class PostgresStore final : public StoreBase {
 public:
  explicit PostgresStore(PGconn* conn) : conn_(conn) {}
  ~PostgresStore() override { PQfinish(conn_); }

  const char* backend() const override { return "postgres"; }

  // Runs `sql` (one or more statements, no parameters). The last result is
  // returned when it has rows.
  Result<PgResult> Exec(const std::string& sql) {
    if (PQstatus(conn_) != CONNECTION_OK) PQreset(conn_);
    PgResult res(PQexec(conn_, sql.c_str()));
    ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return PQstatus(conn_) == CONNECTION_OK ? Status::IOError("postgres: " + PgError(conn_, res.get()))
                                              : Status::Unavailable("postgres: " + PgError(conn_, res.get()));
    }
    return res;
  }
  Status Run(const std::string& sql) { return Exec(sql).status(); }

  Status Migrate() {
    if (Status st = Run("BEGIN"); !st.ok()) return st;
    Status st = MigrateLocked();
    if (!st.ok()) {
      Rollback();
      return st;
    }
    return Commit();
  }

 protected:
  Status BeginRead() override { return Run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  Status BeginExclusive() override {
    if (Status st = Run("BEGIN"); !st.ok()) return st;
    return Run("SELECT revision FROM cmdb_state WHERE id = 1 FOR UPDATE");
  }
  Status Commit() override { return Run("COMMIT"); }
  void Rollback() override { PgResult(PQexec(conn_, "ROLLBACK")); }

  Status ReadInventory(Inventory* inv) override {
    auto globals = Exec("SELECT key, value::text FROM global_var ORDER BY ord");
    if (!globals.ok()) return globals.status();
    for (int i = 0; i < PQntuples(globals->get()); ++i) {
      auto v = Value(globals->get(), i, 1);
      if (!v.ok()) return v.status();
      inv->global_vars.push_back(Var{Text(globals->get(), i, 0), std::move(*v)});
    }
    std::map<std::string, size_t> group_index;
    auto groups = Exec("SELECT cls FROM \"group\" ORDER BY ord");
    if (!groups.ok()) return groups.status();
    for (int i = 0; i < PQntuples(groups->get()); ++i) {
      group_index[Text(groups->get(), i, 0)] = inv->groups.size();
      inv->groups.push_back(Group{Text(groups->get(), i, 0), {}, {}});
    }
    auto gvars = Exec("SELECT cls, key, value::text FROM group_var ORDER BY cls, ord");
    if (!gvars.ok()) return gvars.status();
    for (int i = 0; i < PQntuples(gvars->get()); ++i) {
      auto it = group_index.find(Text(gvars->get(), i, 0));
      auto v = Value(gvars->get(), i, 2);
      if (!v.ok()) return v.status();
      if (it != group_index.end()) inv->groups[it->second].vars.push_back(Var{Text(gvars->get(), i, 1), std::move(*v)});
    }
    auto hosts = Exec("SELECT cls, ip FROM host ORDER BY cls, ord");
    if (!hosts.ok()) return hosts.status();
    for (int i = 0; i < PQntuples(hosts->get()); ++i) {
      auto it = group_index.find(Text(hosts->get(), i, 0));
      if (it != group_index.end()) inv->groups[it->second].hosts.push_back(Host{Text(hosts->get(), i, 1), {}});
    }
    std::map<std::pair<std::string, std::string>, Host*> host_index;
    for (auto& g : inv->groups) {
      for (auto& h : g.hosts) host_index[{g.name, h.name}] = &h;
    }
    auto hvars = Exec("SELECT cls, ip, key, value::text FROM host_var ORDER BY cls, ip, ord");
    if (!hvars.ok()) return hvars.status();
    for (int i = 0; i < PQntuples(hvars->get()); ++i) {
      auto it = host_index.find({Text(hvars->get(), i, 0), Text(hvars->get(), i, 1)});
      auto v = Value(hvars->get(), i, 3);
      if (!v.ok()) return v.status();
      if (it != host_index.end()) it->second->vars.push_back(Var{Text(hvars->get(), i, 2), std::move(*v)});
    }
    return Status::Ok();
  }

  Status WriteInventory(const Inventory& inv) override {
    if (Status st = Run("DELETE FROM host_var; DELETE FROM group_var; DELETE FROM host; DELETE FROM \"group\";"
                        "DELETE FROM global_var; UPDATE cmdb_state SET revision = revision + 1 WHERE id = 1");
        !st.ok()) {
      return st;
    }
    std::string globals, groups, gvars, hosts, hvars;
    auto row = [](std::string* out, std::initializer_list<std::string_view> fields) {
      bool first = true;
      for (auto f : fields) {
        if (!first) out->push_back('\t');
        first = false;
        AppendCopyField(out, f);
      }
      out->push_back('\n');
    };
    size_t ord = 0;
    for (const auto& v : inv.global_vars) row(&globals, {v.key, v.value, std::to_string(ord++)});
    size_t gord = 0;
    for (const auto& g : inv.groups) {
      row(&groups, {g.name, std::to_string(gord++)});
      ord = 0;
      for (const auto& v : g.vars) row(&gvars, {g.name, v.key, v.value, std::to_string(ord++)});
      size_t hord = 0;
      for (const auto& h : g.hosts) {
        row(&hosts, {g.name, h.name, std::to_string(hord++)});
        ord = 0;
        for (const auto& v : h.vars) row(&hvars, {g.name, h.name, v.key, v.value, std::to_string(ord++)});
      }
    }
    // Parents before children (foreign keys are checked per row).
    if (Status st = Copy("COPY global_var (key, value, ord) FROM STDIN", globals); !st.ok()) return st;
    if (Status st = Copy("COPY \"group\" (cls, ord) FROM STDIN", groups); !st.ok()) return st;
    if (Status st = Copy("COPY group_var (cls, key, value, ord) FROM STDIN", gvars); !st.ok()) return st;
    if (Status st = Copy("COPY host (cls, ip, ord) FROM STDIN", hosts); !st.ok()) return st;
    return Copy("COPY host_var (cls, ip, key, value, ord) FROM STDIN", hvars);
  }

  Result<int64_t> ReadRevision() override {
    auto res = Exec("SELECT revision FROM cmdb_state WHERE id = 1");
    if (!res.ok()) return res.status();
    if (PQntuples(res->get()) != 1) return Status::Corruption("cmdb_state has no row");
    return static_cast<int64_t>(std::stoll(Text(res->get(), 0, 0)));
  }

  Result<std::string> ReadViewText() override {
    auto res = Exec("SELECT text FROM inventory");
    if (!res.ok()) return res.status();
    if (PQntuples(res->get()) != 1) return Status::Corruption("inventory view returned no row");
    return Text(res->get(), 0, 0);
  }

  Result<int> ReadSchemaVersion() override {
    auto res = Exec("SELECT coalesce(max(version), 0) FROM schema_version");
    if (!res.ok()) return res.status();
    return std::stoi(Text(res->get(), 0, 0));
  }

 private:
  static std::string Text(const PGresult* r, int row, int col) {
    return std::string(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col)));
  }
  // A jsonb column re-encoded canonically (jsonb prints its own spacing).
  static Result<std::string> Value(const PGresult* r, int row, int col) { return CanonicalJson(Text(r, row, col)); }

  Status Copy(const std::string& command, const std::string& data) {
    if (data.empty()) return Status::Ok();
    PgResult start(PQexec(conn_, command.c_str()));
    if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) {
      return Status::IOError("postgres: " + PgError(conn_, start.get()));
    }
    if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(conn_, nullptr) != 1) {
      return Status::IOError("postgres copy: " + PgError(conn_, nullptr));
    }
    Status status;
    while (PGresult* r = PQgetResult(conn_)) {
      PgResult res(r);
      if (PQresultStatus(r) != PGRES_COMMAND_OK && status.ok()) status = Status::IOError("postgres: " + PgError(conn_, r));
    }
    return status;
  }

  Status MigrateLocked() {
    if (Status st = Run("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")"); !st.ok()) return st;
    if (Status st = Run(std::string("CREATE SCHEMA IF NOT EXISTS ") + kPostgresSchema + "; SET LOCAL search_path = " +
                        kPostgresSchema + ";" +
                        "CREATE TABLE IF NOT EXISTS schema_version (version INT PRIMARY KEY, "
                        "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
        !st.ok()) {
      return st;
    }
    auto version = ReadSchemaVersion();
    if (!version.ok()) return version.status();
    return ApplyMigrations(*version, PostgresMigrations(), [&](std::string_view sql) { return Run(std::string(sql)); });
  }

  PGconn* conn_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url) {
  // The search path is set for the whole session in the startup packet, so a
  // reconnect (PQreset) keeps it.
  std::string conninfo = url + (url.find('?') == std::string::npos ? "?" : "&") +
                         "options=-csearch_path%3D" + kPostgresSchema + "&connect_timeout=10";
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string msg = conn ? PgError(conn, nullptr) : "out of memory";
    PQfinish(conn);
    return Status::Unavailable("cmdb.url: cannot connect to PostgreSQL: " + msg);
  }
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  auto store = std::make_unique<PostgresStore>(conn);
  if (Status st = store->Migrate(); !st.ok()) return st;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace vigil::cmdb
