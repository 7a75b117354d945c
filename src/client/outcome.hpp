// SPDX-License-Identifier: BSL-1.0
#pragma once
// What one call of the service hands back to the operation that made it.

#include "net/http.hpp"

#include <runninghub/models.hpp>

#include <boost/json/value.hpp>

namespace runninghub::detail {

/// A JSON endpoint's data, or its error.
struct reply {
    error_code ec;
    boost::json::value data;
    diagnostics diag;
    http_response raw;  // status and headers of the last answer
};

/// One task answer of the service, decoded.
struct outcome {
    error_code ec;
    task t;
    duration retry_after{-1};  // from Retry-After, when the server sent one
    bool sent = false;         // the request was completely written
};

} // namespace runninghub::detail
