// src/query/iceberg_migrate.h: `lakehouse migrate`: a root in the catalog.v1 layout becomes
// Iceberg tables, in place.
//
// Before Iceberg, each dataset was `catalog/<name>.json` (every version's parts, schema and
// counts) over the same `datasets/<name>/v<N>/part-<k>.parquet` files. Migrating writes,
// per dataset, one Iceberg snapshot per version (snapshot id = version, same parts, same
// creation time and source; column statistics read from the parts' footers) and only
// then deletes `catalog/<name>.json`. No Parquet byte is rewritten or moved, so SQL answers
// the same before and after.
//
// Resumable: each snapshot commit is atomic (iceberg/table.h), so a migration killed
// anywhere is run again and continues after the last snapshot it committed; a dataset
// already migrated is left alone. A part that is missing or unreadable stops that dataset
// with an error naming the part (its manifest stays), and the others still migrate.
//
// Thread-safety: run it while no server uses the root (the server refuses an unmigrated
// root anyway).
#pragma once

#include "core/json.h"
#include "core/status.h"
#include "storage/object_store.h"

namespace lakehouse {

//! Migrates every catalog/<name>.json under `store`. Answers {"datasets": [{"name",
//! "versions", "snapshots_written", "parts", "status": "migrated" | "already" | "failed",
//! "error"?}], "elapsed_ms"}; an error only when the root cannot be read at all, or when a
//! dataset failed (after trying the others), naming it.
Result<Json> MigrateToIceberg(ObjectStore& store);

}  // namespace lakehouse
