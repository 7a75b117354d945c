// SPDX-License-Identifier: BSL-1.0
#pragma once
// MD5 over OpenSSL's EVP interface, fed in chunks (uploads, downloads, the emulator's files).

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace runninghub::detail {

class md5 {
public:
    md5() : ctx_(EVP_MD_CTX_new()) { reset(); }
    ~md5() { EVP_MD_CTX_free(ctx_); }
    md5(const md5&) = delete;
    md5& operator=(const md5&) = delete;

    void reset() { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
    void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx_, p, n); }
    /// The digest as 32 lower-case hex digits; call once, then reset().
    std::string hex() {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        EVP_DigestFinal_ex(ctx_, d, &n);
        return to_hex(d, n);
    }

    static std::string to_hex(const unsigned char* d, unsigned n) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string s;
        for (unsigned i = 0; i < n; ++i) {
            s += digits[d[i] >> 4];
            s += digits[d[i] & 15];
        }
        return s;
    }

    /// Hex digest to base64 (Content-MD5, RFC 1864); empty when not 32 hex digits.
    static std::string hex_to_base64(std::string_view hex) {
        if (hex.size() != 32)
            return {};
        unsigned char raw[16];
        for (int i = 0; i < 16; ++i) {
            auto v = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
            raw[i] = static_cast<unsigned char>(v(hex[2 * i]) << 4 | v(hex[2 * i + 1]));
        }
        unsigned char out[32];
        int n = EVP_EncodeBlock(out, raw, 16);
        return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
    }

    /// Base64 digest (Content-MD5) to hex; empty when it does not decode to 16 bytes.
    static std::string base64_to_hex(std::string_view b64) {
        unsigned char out[64];
        if (b64.size() != 24)
            return {};
        int n = EVP_DecodeBlock(out, reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
        return n < 16 ? std::string() : to_hex(out, 16);
    }

private:
    EVP_MD_CTX* ctx_;
};

} // namespace runninghub::detail
