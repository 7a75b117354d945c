// SPDX-License-Identifier: BSL-1.0
// The webhook listener's body parser: any bytes, never a crash.
#include <runninghub/webhook.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string why;
    auto e = runninghub::parse_webhook_event({reinterpret_cast<const char*>(data), size}, &why);
    if (e && e->task_id.empty())
        __builtin_trap();  // a parsed event always names its task
    return 0;
}
