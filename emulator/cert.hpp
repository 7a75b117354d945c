// SPDX-License-Identifier: BSL-1.0
#pragma once
#include <string>

namespace runninghub::detail {

struct generated_cert {
    std::string ca_pem;    // self-signed CA
    std::string cert_pem;  // server certificate signed by the CA
    std::string key_pem;   // the server's private key
};

/// A fresh CA and a server certificate for `name` (an IP literal or a DNS name),
/// EC P-256, valid from an hour ago for 30 days. Throws std::runtime_error.
generated_cert make_certificate(const std::string& name);

} // namespace runninghub::detail
