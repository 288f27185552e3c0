#include "store/migrations.h"

#include <string>

#include <openssl/evp.h>

namespace vigil::store {

namespace {

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations("
    " component TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " name TEXT NOT NULL,"
    " checksum TEXT NOT NULL,"
    " applied_at TEXT NOT NULL,"
    " PRIMARY KEY (component, version))";

Status ValidateList(std::string_view component, std::span<const Migration> migrations) {
    if (component.empty()) return InvalidArgument("migrations: empty component name");
    for (size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version != static_cast<int>(i) + 1) {
            return InvalidArgument("migrations of " + std::string(component) +
                                   ": expected version " + std::to_string(i + 1) + ", found " +
                                   std::to_string(migrations[i].version) +
                                   " (versions run 1, 2, 3, ... in order)");
        }
        if (migrations[i].name.empty() || migrations[i].sql.empty()) {
            return InvalidArgument("migrations of " + std::string(component) + ": version " +
                                   std::to_string(migrations[i].version) + " needs a name and SQL");
        }
    }
    return Ok();
}

Result<bool> TableExists(Database& db) {
    auto stmt = db.Prepare(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    auto step = stmt->Step();
    if (!step) return tl::unexpected(std::move(step.error()));
    return *step == Statement::StepResult::kRow;
}

// Highest applied version, after checking every applied row against the code.
Result<int> CheckApplied(Database& db, std::string_view component,
                         std::span<const Migration> migrations) {
    auto stmt = db.Prepare(
        "SELECT version, name, checksum FROM schema_migrations WHERE component = ?1 "
        "ORDER BY version");
    if (!stmt) return tl::unexpected(std::move(stmt.error()));
    if (auto st = stmt->BindText(1, component); !st) return tl::unexpected(std::move(st.error()));
    const std::string comp(component);
    const int known = static_cast<int>(migrations.size());
    int highest = 0;
    int count = 0;
    while (true) {
        auto step = stmt->Step();
        if (!step) return tl::unexpected(std::move(step.error()));
        if (*step == Statement::StepResult::kDone) break;
        int64_t version = stmt->ColumnInt64(0);
        if (version > known) {
            return MakeError(Code::kFailedPrecondition,
                             "the " + comp + " schema in " + db.path().string() +
                                 " is at version " + std::to_string(version) +
                                 ", newer than this build knows (" + std::to_string(known) +
                                 "); use the vigil release that wrote it");
        }
        if (version < 1) {
            return MakeError(Code::kDataLoss, "schema_migrations has version " +
                                                  std::to_string(version) + " for " + comp);
        }
        const Migration& m = migrations[static_cast<size_t>(version - 1)];
        std::string checksum = stmt->ColumnText(2);
        if (checksum != MigrationChecksum(m)) {
            return MakeError(Code::kFailedPrecondition,
                             "migration " + comp + " " + std::to_string(version) + " (" + m.name +
                                 ") was changed after it was applied to " + db.path().string() +
                                 " (checksum " + checksum.substr(0, 12) + "... recorded, " +
                                 MigrationChecksum(m).substr(0, 12) +
                                 "... in this build); add a new migration instead");
        }
        highest = static_cast<int>(version);
        ++count;
    }
    if (count != highest) {
        return MakeError(Code::kDataLoss,
                         "schema_migrations for " + comp + " has gaps (" + std::to_string(count) +
                             " versions recorded, highest " + std::to_string(highest) + ")");
    }
    return highest;
}

}  // namespace

std::string MigrationChecksum(const Migration& migration) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(migration.sql.data(), migration.sql.size(), digest, &len, EVP_sha256(),
                   nullptr) != 1) {
        return {};
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0xf];
    }
    return out;
}

Result<MigrateResult> Migrate(Database& db, std::string_view component,
                              std::span<const Migration> migrations) {
    const std::string context = "migrating the " + std::string(component) + " schema";
    if (auto st = ValidateList(component, migrations); !st) {
        return tl::unexpected(std::move(st.error()));
    }
    const int last = static_cast<int>(migrations.size());
    MigrateResult result;

    if (db.read_only()) {
        auto exists = TableExists(db);
        if (!exists) return tl::unexpected(std::move(exists.error()).WithContext(context));
        int highest = 0;
        if (*exists) {
            auto applied = CheckApplied(db, component, migrations);
            if (!applied) return tl::unexpected(std::move(applied.error()));
            highest = *applied;
        }
        if (highest == 0 && last > 0) {
            return MakeError(Code::kFailedPrecondition,
                             db.path().string() + " has no " + std::string(component) +
                                 " schema (not a vigil database, or never opened read-write)");
        }
        if (highest < last) {
            return MakeError(Code::kFailedPrecondition,
                             "the " + std::string(component) + " schema in " + db.path().string() +
                                 " is at version " + std::to_string(highest) +
                                 ", this build needs " + std::to_string(last) +
                                 "; open it read-write once to migrate");
        }
        result.from_version = result.to_version = highest;
        return result;
    }

    // Up to date already (every open but the first): answered from a read, without the write
    // lock, so opening a database another connection is writing to neither waits for that
    // writer nor holds it up (searches open the partitions `vigil serve` appends to).
    {
        auto exists = TableExists(db);
        if (!exists) return tl::unexpected(std::move(exists.error()).WithContext(context));
        if (*exists) {
            auto applied = CheckApplied(db, component, migrations);
            if (!applied) return tl::unexpected(std::move(applied.error()));
            if (*applied >= last) {
                result.from_version = result.to_version = *applied;
                return result;
            }
        }
    }
    if (auto st = db.Exec(kCreateTable); !st) {
        return tl::unexpected(std::move(st.error()).WithContext(context));
    }
    bool first = true;
    while (true) {
        // Checked again inside each transaction: another process may be migrating too, and the
        // write lock BEGIN IMMEDIATE takes makes the check and the change one step.
        auto tx = Transaction::Begin(db);
        if (!tx) return tl::unexpected(std::move(tx.error()).WithContext(context));
        auto applied = CheckApplied(db, component, migrations);
        if (!applied) return tl::unexpected(std::move(applied.error()));
        if (first) {
            result.from_version = *applied;
            first = false;
        }
        result.to_version = *applied;
        if (*applied >= last) break;  // nothing to do; the transaction rolls back unchanged

        const Migration& m = migrations[static_cast<size_t>(*applied)];
        const std::string what =
            context + ": version " + std::to_string(m.version) + " (" + m.name + ")";
        if (auto st = db.Exec(m.sql); !st) {
            return tl::unexpected(std::move(st.error()).WithContext(what));
        }
        auto insert = db.Prepare(
            "INSERT INTO schema_migrations(component, version, name, checksum, applied_at) "
            "VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
        if (!insert) return tl::unexpected(std::move(insert.error()).WithContext(what));
        Status st = insert->BindText(1, component);
        if (st) st = insert->BindInt64(2, m.version);
        if (st) st = insert->BindText(3, m.name);
        if (st) st = insert->BindText(4, MigrationChecksum(m));
        if (st) st = insert->Run();
        if (st) st = tx->Commit();
        if (!st) return tl::unexpected(std::move(st.error()).WithContext(what));
        result.to_version = m.version;
    }
    return result;
}

}  // namespace vigil::store
