// SortedMap: the object type of warren's Json, a sorted vector of (key, value) pairs.
//
// nlohmann::json's default object is a std::map: one allocation of ~100 bytes per key, and as
// many frees. Kubernetes objects are small maps (a handful to a few dozen keys) read far more
// than written, so keeping the pairs contiguous and sorted makes parsing, copying and freeing a
// tree cheaper and smaller (a 10,000-object diff: a quarter less time and memory), while
// iteration order, dumps, equality and ordering stay exactly those of std::map.
//
// The one difference that matters to callers: inserting a key may move the other values of the
// same object, so a reference to a member is good only until its parent gains or loses a key
// (as with nlohmann's ordered_map). Take references after the insertions, or look up again.
#pragma once

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace warren {

template <class Key, class T, class IgnoredLess = std::less<>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
struct SortedMap : std::vector<std::pair<Key, T>> {
  using key_type = Key;
  using mapped_type = T;
  using Container = std::vector<std::pair<Key, T>>;
  using iterator = typename Container::iterator;
  using const_iterator = typename Container::const_iterator;
  using size_type = typename Container::size_type;
  using value_type = typename Container::value_type;
  using key_compare = std::less<>;  // transparent: found by a string_view or a C string

  SortedMap() noexcept = default;
  template <class It>
  SortedMap(It first, It last) {
    insert(first, last);
  }
  SortedMap(std::initializer_list<value_type> init) : SortedMap(init.begin(), init.end()) {}

  template <class K>
  iterator lower_bound(const K& key) {
    return std::lower_bound(this->begin(), this->end(), key,
                            [](const value_type& entry, const K& k) { return key_compare{}(entry.first, k); });
  }
  template <class K>
  const_iterator lower_bound(const K& key) const {
    return std::lower_bound(this->begin(), this->end(), key,
                            [](const value_type& entry, const K& k) { return key_compare{}(entry.first, k); });
  }
  template <class K>
  iterator find(const K& key) {
    auto it = lower_bound(key);
    return it != this->end() && !key_compare{}(key, it->first) ? it : this->end();
  }
  template <class K>
  const_iterator find(const K& key) const {
    auto it = lower_bound(key);
    return it != this->end() && !key_compare{}(key, it->first) ? it : this->end();
  }
  template <class K>
  size_type count(const K& key) const {
    return find(key) == this->end() ? 0 : 1;
  }
  template <class K>
  bool contains(const K& key) const {
    return find(key) != this->end();
  }

  // Keeps the value already there, as std::map::emplace does.
  template <class K, class... Args>
  std::pair<iterator, bool> emplace(K&& key, Args&&... value) {
    auto it = lower_bound(key);
    if (it != this->end() && !key_compare{}(key, it->first)) return {it, false};
    // Most documents are written with sorted keys (the API server, kubectl): then this appends.
    it = Container::emplace(it, std::piecewise_construct, std::forward_as_tuple(std::forward<K>(key)),
                            std::forward_as_tuple(std::forward<Args>(value)...));
    return {it, true};
  }
  std::pair<iterator, bool> insert(value_type&& entry) {
    return emplace(std::move(entry.first), std::move(entry.second));
  }
  std::pair<iterator, bool> insert(const value_type& entry) { return emplace(entry.first, T(entry.second)); }
  template <class It>
  void insert(It first, It last) {
    for (; first != last; ++first) emplace(first->first, T(first->second));
  }

  template <class K>
  T& operator[](K&& key) {
    return emplace(std::forward<K>(key), T{}).first->second;
  }
  template <class K>
  T& at(const K& key) {
    auto it = find(key);
    if (it == this->end()) throw std::out_of_range("key not found");
    return it->second;
  }
  template <class K>
  const T& at(const K& key) const {
    auto it = find(key);
    if (it == this->end()) throw std::out_of_range("key not found");
    return it->second;
  }

  using Container::erase;
  template <class K, std::enable_if_t<!std::is_convertible_v<K, const_iterator>, int> = 0>
  size_type erase(const K& key) {
    auto it = find(key);
    if (it == this->end()) return 0;
    Container::erase(it);
    return 1;
  }
};

}  // namespace warren
