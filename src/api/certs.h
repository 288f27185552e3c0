#pragma once
// Self-signed certificate for first start (`vigil init`): EC P-256 key, SHA-256 signature,
// SAN localhost + 127.0.0.1 (+ the common name as a DNS name), serverAuth. The key file is
// created with mode 0600.

#include <string>

#include "base/result.h"

namespace vigil::api {

Status GenerateSelfSigned(const std::string& common_name, int days, const std::string& cert_path,
                          const std::string& key_path);

}  // namespace vigil::api
