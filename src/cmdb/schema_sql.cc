#include "cmdb/schema_sql.h"

#include <string>

namespace vigil::cmdb {

const std::vector<std::string_view>& SqliteMigrations() {
  static const std::vector<std::string_view> kMigrations = {
      // 1: tables and the inventory view.
      R"sql(
CREATE TABLE cmdb_state (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
INSERT INTO cmdb_state VALUES (1, 0);
CREATE TABLE "group" (
  cls   TEXT PRIMARY KEY,
  ord   INTEGER NOT NULL,
  mtime TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE host (
  cls   TEXT NOT NULL REFERENCES "group"(cls) ON DELETE CASCADE,
  ip    TEXT NOT NULL,
  ord   INTEGER NOT NULL,
  mtime TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (cls, ip));
CREATE INDEX host_ip ON host (ip);
CREATE TABLE global_var (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL CHECK (json_valid(value)),
  ord   INTEGER NOT NULL,
  mtime TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE group_var (
  cls   TEXT NOT NULL REFERENCES "group"(cls) ON DELETE CASCADE,
  key   TEXT NOT NULL,
  value TEXT NOT NULL CHECK (json_valid(value)),
  ord   INTEGER NOT NULL,
  mtime TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (cls, key));
CREATE TABLE host_var (
  cls   TEXT NOT NULL,
  ip    TEXT NOT NULL,
  key   TEXT NOT NULL,
  value TEXT NOT NULL CHECK (json_valid(value)),
  ord   INTEGER NOT NULL,
  mtime TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (cls, ip, key),
  FOREIGN KEY (cls, ip) REFERENCES host (cls, ip) ON DELETE CASCADE);
CREATE INDEX host_var_ip ON host_var (ip);
CREATE VIEW inventory AS
SELECT json_patch(
  json_object(
    '_meta', json_object('hostvars', json((
      SELECT json_group_object(h.ip, json((
        SELECT json_group_object(hv.key, json(hv.value))
        FROM host_var hv JOIN "group" g ON g.cls = hv.cls
        WHERE hv.ip = h.ip AND NOT EXISTS (
          SELECT 1 FROM host_var later JOIN "group" lg ON lg.cls = later.cls
          WHERE later.ip = hv.ip AND later.key = hv.key AND lg.ord > g.ord))))
      FROM (SELECT DISTINCT ip FROM host ORDER BY ip) h))),
    'all', json_object(
      'children', json((SELECT json_group_array(cls) FROM (SELECT cls FROM "group" ORDER BY ord))),
      'vars', json((SELECT json_group_object(key, json(value)) FROM (SELECT key, value FROM global_var ORDER BY key))))),
  json((SELECT json_group_object(g.cls, json_object(
      'hosts', json((SELECT json_group_array(ip) FROM (SELECT ip FROM host WHERE host.cls = g.cls ORDER BY ord))),
      'vars', json((SELECT json_group_object(key, json(value))
                    FROM (SELECT key, value FROM group_var WHERE group_var.cls = g.cls ORDER BY key)))))
   FROM (SELECT cls FROM "group" ORDER BY cls) g))) AS text;
)sql",
  };
  return kMigrations;
}

const std::vector<std::string_view>& PostgresMigrations() {
  static const std::vector<std::string_view> kMigrations = {
      // 1: tables and the inventory view.
      R"sql(
CREATE TABLE cmdb_state (id INT PRIMARY KEY CHECK (id = 1), revision BIGINT NOT NULL);
INSERT INTO cmdb_state VALUES (1, 0);
CREATE TABLE "group" (
  cls   TEXT PRIMARY KEY,
  ord   INT NOT NULL,
  mtime TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE host (
  cls   TEXT NOT NULL REFERENCES "group"(cls) ON DELETE CASCADE,
  ip    TEXT NOT NULL,
  ord   INT NOT NULL,
  mtime TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (cls, ip));
CREATE INDEX host_ip ON host (ip);
CREATE TABLE global_var (
  key   TEXT PRIMARY KEY,
  value JSONB NOT NULL,
  ord   INT NOT NULL,
  mtime TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE group_var (
  cls   TEXT NOT NULL REFERENCES "group"(cls) ON DELETE CASCADE,
  key   TEXT NOT NULL,
  value JSONB NOT NULL,
  ord   INT NOT NULL,
  mtime TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (cls, key));
CREATE TABLE host_var (
  cls   TEXT NOT NULL,
  ip    TEXT NOT NULL,
  key   TEXT NOT NULL,
  value JSONB NOT NULL,
  ord   INT NOT NULL,
  mtime TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (cls, ip, key),
  FOREIGN KEY (cls, ip) REFERENCES host (cls, ip) ON DELETE CASCADE);
CREATE INDEX host_var_ip ON host_var (ip);
CREATE VIEW inventory AS
SELECT (jsonb_build_object(
    '_meta', jsonb_build_object('hostvars', (
      SELECT coalesce(jsonb_object_agg(h.ip, (
        SELECT coalesce(jsonb_object_agg(hv.key, hv.value ORDER BY g.ord), '{}'::jsonb)
        FROM host_var hv JOIN "group" g ON g.cls = hv.cls WHERE hv.ip = h.ip)), '{}'::jsonb)
      FROM (SELECT DISTINCT ip FROM host) h)),
    'all', jsonb_build_object(
      'children', (SELECT coalesce(jsonb_agg(cls ORDER BY ord), '[]'::jsonb) FROM "group"),
      'vars', (SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb) FROM global_var)))
  || (SELECT coalesce(jsonb_object_agg(g.cls, jsonb_build_object(
        'hosts', (SELECT coalesce(jsonb_agg(ip ORDER BY ord), '[]'::jsonb) FROM host WHERE host.cls = g.cls),
        'vars', (SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb) FROM group_var WHERE group_var.cls = g.cls))),
      '{}'::jsonb) FROM "group" g))::text AS text;
)sql",
  };
  return kMigrations;
}

Status ApplyMigrations(int version, const std::vector<std::string_view>& migrations,
                      const std::function<Status(std::string_view sql)>& exec) {
  if (version > static_cast<int>(migrations.size())) {
    return Status::InvalidArgument("cmdb schema version " + std::to_string(version) +
                                   " is newer than this vigil understands (" + std::to_string(migrations.size()) + ")");
  }
  for (size_t i = static_cast<size_t>(version); i < migrations.size(); ++i) {
    if (Status st = exec(migrations[i]); !st.ok()) {
      return Status::IOError("cmdb migration " + std::to_string(i + 1) + ": " + st.message());
    }
    if (Status st = exec("INSERT INTO schema_version (version) VALUES (" + std::to_string(i + 1) + ")"); !st.ok()) {
      return st;
    }
  }
  return Status::Ok();
}

}  // namespace vigil::cmdb
