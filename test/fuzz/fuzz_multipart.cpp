// SPDX-License-Identifier: BSL-1.0
// The emulator's multipart reader: any body in any chunking, never a crash,
// and the same parts whatever the chunking.
#include "emulator/multipart.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {
std::string read_all(std::string_view body, std::size_t chunk, bool& done) {
    std::string out;
    runninghub::detail::multipart_reader r("multipart/form-data; boundary=b0undary",
                                           {[&](const runninghub::detail::multipart_part& p) {
                                                out += "[" + p.name + "|" + p.filename + "]";
                                                return true;
                                            },
                                            [&](const char* d, std::size_t n) {
                                                out.append(d, n);
                                                return true;
                                            },
                                            [&] {
                                                out += "<end>";
                                                return true;
                                            }});
    bool ok = true;
    for (std::size_t at = 0; at < body.size() && ok; at += chunk)
        ok = r.feed(body.data() + at, std::min(chunk, body.size() - at));
    done = ok && r.done();
    return ok ? out : std::string("<failed>");
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    std::size_t chunk = 1 + data[0] % 17;
    std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    bool done1 = false, done2 = false;
    auto a = read_all(body, chunk, done1);
    auto b = read_all(body, body.size() + 1, done2);
    if (done1 && done2 && a != b)
        __builtin_trap();  // chunking must not change what is read
    return 0;
}
