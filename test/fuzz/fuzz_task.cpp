// The v2 task decoder and Retry-After parser: any status and bytes, never a crash.
#include "detail/codec.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    unsigned status = 100u + (data[0] % 5) * 100u + data[1] % 30;
    std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
    runninghub::task t;
    auto ec = runninghub::detail::decode_task({status, body, body}, t, t.diag);
    if (!ec && t.id.empty())
        __builtin_trap();  // success always carries a task id
    runninghub::detail::parse_retry_after(body, std::chrono::system_clock::now());
    return 0;
}
