#pragma once
// Keyset paging shared by the stores: opaque cursors over (created_at, id).
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "store/state_store.hh"

namespace fedihost::store {

/// The cursor after an item: base64url of "<created_at>|<id>".
std::string makeCursor(const std::string& createdAt, const std::string& id);

/// The position a cursor stands for; an unreadable cursor starts from the beginning (the API
/// refuses those first: isCursor).
std::pair<std::string, std::string> splitCursor(const std::string& cursor);

/// Whether `cursor` is one makeCursor could have made.
bool isCursor(const std::string& cursor);

/// Cuts `items` (fetched with limit + 1) to a page, with the cursor of its last item when more follow.
template <class T>
Page<T> paged(std::vector<T> items, int limit, const std::function<std::string(const T&)>& cursorOf) {
  Page<T> page;
  if (static_cast<int>(items.size()) > limit) {
    items.resize(static_cast<std::size_t>(limit));
    page.next = cursorOf(items.back());
  }
  page.items = std::move(items);
  return page;
}

}  // namespace fedihost::store
