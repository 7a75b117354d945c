// SPDX-License-Identifier: BSL-1.0
#pragma once
// The HTTP methods the client sends: what the endpoint table and the
// transport (net/) share, without net/ seeing the table.

#include <cstdint>

namespace runninghub::detail {

enum class http_method : std::uint8_t { get, post, put };

} // namespace runninghub::detail
