#pragma once
// The built-in backup targets (backup_target.hh), for the registry.
#include "backup_target/backup_target.hh"

namespace fedihost::backup_target {

std::unique_ptr<BackupTarget> makeS3Target(const TargetConfig& config);

}  // namespace fedihost::backup_target
