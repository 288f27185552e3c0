#pragma once
// The web console's built files (web/dist), served by the HTTPS server for every GET/HEAD
// outside /api/. The whole tree is read into memory at start-up: a request can only ever
// name a file that was in the table, so no request path reaches the file system and path
// traversal has nothing to traverse. Paths without a file extension that match no file get
// index.html (the single-page app's client-side routes); everything else unknown is 404.

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vigil::api {

struct Response;

// Named limits: the console is a few hundred KiB; refuse trees that are clearly not it.
inline constexpr size_t kMaxStaticFiles = 2000;
inline constexpr size_t kMaxStaticBytes = 64 * 1024 * 1024;

class StaticFiles {
public:
    // Reads every regular file under `root` (symbolic links are not followed). Fails when root
    // has no index.html or exceeds the limits.
    static Result<StaticFiles> Load(const std::filesystem::path& root);

    // The response for a GET or HEAD of `path` (already normalised by ParseTarget), with
    // ETag, Cache-Control (hashed assets/ files are immutable; the rest must revalidate) and
    // 304 for a matching If-None-Match; nullopt-like 404 when unknown.
    Response Serve(std::string_view path, std::string_view if_none_match, bool head) const;

    size_t size() const { return files_.size(); }

private:
    struct File {
        std::string content_type;
        std::string body;
        std::string etag;  // "\"<first 16 hex of SHA-256>\""
    };
    std::map<std::string, File, std::less<>> files_;  // "/index.html", "/assets/app-1a2b.js"
};

// The MIME type for a file name by extension; application/octet-stream when unknown.
std::string_view ContentTypeFor(std::string_view file_name);

}  // namespace vigil::api
