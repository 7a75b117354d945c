// SPDX-License-Identifier: BSL-1.0
// The key scrubber, which runs over every answer body and error text before it
// leaves net/: any bytes, never a crash, and never the key in what it returns.
// The first 32 bytes (padded) are the key; the rest is the text.
#include "codec/scrub.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string key(in.substr(0, 32));
    key.resize(32, 'k');
    std::string text(in.substr(std::min<std::size_t>(size, 32)));

    std::string once = text;
    runninghub::detail::scrub_secrets(once, key);
    if (once.find(key) != std::string::npos)
        __builtin_trap();  // the key survived
    // Nothing left to mask: a second pass finding a credential field's value the first
    // one missed would be a value that reached the caller.
    std::string twice = once;
    runninghub::detail::scrub_secrets(twice, key);
    if (twice != once)
        __builtin_trap();
    return 0;
}
