#pragma once
// Versioned schema migrations, one list per component.
//
// Each component owns its tables and a list of migrations numbered 1, 2, 3, ... Migrate applies
// the missing ones in order, each in its own transaction together with its row in
//   schema_migrations(component, version, name, checksum, applied_at)
// so a crash leaves the schema at a whole version. Applied migrations are never edited: the
// checksum (SHA-256 of the SQL) of every applied version must still match the code, and a
// database that has a version the code does not know (written by a newer vigil) is refused
// rather than used with a schema this build does not understand.

#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/database.h"

namespace vigil::store {

struct Migration {
    int version = 0;  // 1, 2, 3, ... without gaps
    std::string name;
    std::string sql;  // one or more statements
};

// Lower-case hex SHA-256 of the migration's SQL.
std::string MigrationChecksum(const Migration& migration);

struct MigrateResult {
    int from_version = 0;  // highest version applied before
    int to_version = 0;    // highest version applied now
};

// Brings component's schema up to the last migration. On a read-only connection nothing is
// written: the call fails when a migration is missing, so readers never see an old schema.
Result<MigrateResult> Migrate(Database& db, std::string_view component,
                              std::span<const Migration> migrations);

}  // namespace vigil::store
