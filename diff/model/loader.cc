#include "diff/model/loader.h"

#include <map>
#include <optional>

#include "diff/model/base64.h"
#include "diff/model/fast_json.h"
#include "diff/model/kustomize.h"

namespace warren {
namespace {

bool HasManifestExtension(const std::string& f) {
  for (const char* ext : {".yaml", ".yml", ".json"}) {
    std::string e = ext;
    if (f.size() >= e.size() && f.compare(f.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

bool HiddenComponent(const std::string& path) {
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start && path[start] == '.' && !(end - start == 1)) {
      std::string part = path.substr(start, end - start);
      if (part != "..") return true;
    }
    start = end + 1;
  }
  return false;
}

const char* TypeName(const Json& v) {
  if (v.is_array()) return "a sequence";
  if (v.is_string()) return "a string";
  if (v.is_number()) return "a number";
  if (v.is_boolean()) return "a boolean";
  return "a scalar";
}

// Checks the fields every object needs and names the first one missing.
Status CheckObject(const Json& v, const SourceLocation& where) {
  if (!v.is_object())
    return Status::Invalid(where.ToString() + ": document is " + TypeName(v) + ", not a Kubernetes object");
  for (const char* field : {"apiVersion", "kind"}) {
    auto it = v.find(field);
    if (it == v.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
      return Status::Invalid(where.ToString() + ": object has no " + field);
  }
  auto meta = v.find("metadata");
  const std::string& kind = v["kind"].get_ref<const std::string&>();
  if (meta == v.end() || !meta->is_object())
    return Status::Invalid(where.ToString() + ": " + kind + " has no metadata");
  if (StringField(*meta, "name").empty())
    return Status::Invalid(where.ToString() + ": " + kind + " has no metadata.name");
  auto ns = meta->find("namespace");
  if (ns != meta->end() && !ns->is_string())
    return Status::Invalid(where.ToString() + ": " + kind + " metadata.namespace is not a string");
  return Status::Ok();
}

bool IsList(const Json& v) {
  if (!v.is_object()) return false;
  const std::string& kind = StringField(v, "kind");
  auto items = v.find("items");
  return kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0 && items != v.end() &&
         (items->is_array() || items->is_null());
}

// A List's items kept as text (LoadOptions::defer_list_items_above): the file, and where each item is.
struct ItemTexts {
  std::shared_ptr<const std::string> text;
  std::vector<TextSpan> spans;  // one per item of the document's `items`
};

// Appends the objects of one document, flattening a List (whose items may lack kind and
// apiVersion, as the API server returns them). With `texts`, the List's items are only their
// identity (FastSkimJsonList's heads) and become objects kept as text.
Status AppendDocument(Document doc, const LoadOptions& options, std::vector<Object>* out,
                      const ItemTexts* texts = nullptr) {
  if (doc.value.is_null()) return Status::Ok();  // empty document or only comments
  auto add = [&](Json v, SourceLocation where, const std::string& base, const TextSpan* span) -> Status {
    WARREN_RETURN_IF_ERROR(CheckObject(v, where));
    Json& meta = v["metadata"];
    if (StringField(meta, "namespace").empty() &&
        !IsClusterScoped(SplitApiVersion(StringField(v, "apiVersion")).first, StringField(v, "kind")))
      meta["namespace"] = options.default_namespace;
    if (span) {
      out->push_back(Object::FromText({texts->text, span->offset, span->size, std::move(v)}, std::move(where)));
      return Status::Ok();
    }
    Object obj(std::move(v), std::move(where));
    if (doc.positions) obj.set_positions(doc.positions, base);
    if (doc.encrypted) {
      std::vector<std::string> mine;
      for (const std::string& p : *doc.encrypted)
        if (base.empty())
          mine.push_back(p);
        else if (PointerUnder(p, base))
          mine.push_back(p.substr(base.size()));
      obj.set_encrypted(std::move(mine));
    }
    out->push_back(std::move(obj));
    return Status::Ok();
  };
  if (!IsList(doc.value)) return add(std::move(doc.value), doc.where, "", nullptr);

  std::string list_kind = StringField(doc.value, "kind");
  std::string item_kind = list_kind == "List" ? "" : list_kind.substr(0, list_kind.size() - 4);
  std::string api_version = StringField(doc.value, "apiVersion");
  Json& items = doc.value["items"];
  if (items.is_null()) return Status::Ok();
  for (size_t i = 0; i < items.size(); ++i) {
    Json& item = items[i];
    if (item.is_object() && !item_kind.empty()) {
      if (!item.contains("kind")) item["kind"] = item_kind;
      if (!item.contains("apiVersion")) item["apiVersion"] = api_version;
    }
    SourceLocation where = doc.where;
    std::string base = "/items/" + std::to_string(i);
    if (doc.positions) {
      auto it = doc.positions->find(base);
      if (it != doc.positions->end()) where = it->second;
    } else {
      where.item = static_cast<int>(i);
    }
    WARREN_RETURN_IF_ERROR(add(std::move(item), where, base, texts ? &texts->spans[i] : nullptr));
  }
  return Status::Ok();
}

// A JSON List whose items stay text until read (see LoadOptions::defer_list_items_above): false, and
// nothing appended, for any other text, which is then decoded whole as before.
Result<bool> AppendDeferredList(std::string& text, const std::string& file, const LoadOptions& options,
                                std::vector<Object>* out) {
  if (!LooksLikeJson(file, text) || options.decode.record_positions || options.decode.disable_fast_path ||
      text.size() > options.decode.max_bytes || text.rfind("\xEF\xBB\xBF", 0) == 0)
    return false;
  auto skimmed = FastSkimJsonList(text, options.decode.max_depth);
  if (!skimmed || !IsList(skimmed->list) || HasSopsBlock(skimmed->list) || !Field(skimmed->list, "items").is_array())
    return false;
  WARREN_RETURN_IF_ERROR(CheckYamlCharacters(text, file));  // as DecodeJson does
  ItemTexts texts{std::make_shared<const std::string>(std::move(text)), std::move(skimmed->items)};
  WARREN_RETURN_IF_ERROR(AppendDocument({std::move(skimmed->list), SourceLocation{file, 1, 1}}, options, out, &texts));
  return true;
}

bool Under(const std::string& file, const std::string& dir) { return dir == "." || file.rfind(dir + "/", 0) == 0; }

// Gives each object of a build the place it came from (kustomize's origin annotation, which is
// then removed): the file, and the line of the document of that kind whose name the built name
// contains (a namePrefix or suffix changes names). Field positions are not known after a build.
class OriginLocator {
 public:
  OriginLocator(const FileTree& tree, const KustomizeOutput& output, const LoadOptions& options)
      : tree_(tree), output_(output), options_(options) {}

  void Locate(Object* obj, const SourceLocation& fallback) {
    obj->set_positions(nullptr);
    Json& meta = obj->mutable_doc()["metadata"];
    auto annotations = meta.find("annotations");
    std::string origin;
    if (annotations != meta.end() && annotations->is_object()) {
      auto it = annotations->find(kOriginAnnotation);
      if (it != annotations->end() && it->is_string()) origin = OriginFile(it->get<std::string>());
      annotations->erase(kOriginAnnotation);
      if (annotations->empty()) meta.erase("annotations");
    }
    if (origin.empty()) {
      obj->set_where(fallback);
      return;
    }
    SourceLocation where{OriginTreePath(output_, origin)};
    const Object* best = nullptr;
    for (const Object& o : ObjectsIn(where.file)) {
      if (o.kind() != obj->kind() || obj->name().find(o.name()) == std::string::npos) continue;
      if (!best || o.name().size() > best->name().size()) best = &o;
    }
    if (best) where.line = best->LocationOf("/apiVersion").line;  // its first line, not its "---"
    obj->set_where(where);
  }

 private:
  const std::vector<Object>& ObjectsIn(const std::string& file) {
    auto [it, inserted] = files_.try_emplace(file);
    if (inserted) {
      auto text = tree_.Read(file);
      LoadOptions positions = options_;
      positions.decode.record_positions = true;
      positions.decryptor = nullptr;  // only names and lines are wanted here
      positions.keep_encrypted = true;
      if (text.ok()) {
        auto objects = ObjectsFromText(text.value(), file, positions);
        if (objects.ok()) it->second = std::move(objects).value();
      }
    }
    return it->second;
  }

  const FileTree& tree_;
  const KustomizeOutput& output_;
  const LoadOptions& options_;
  std::map<std::string, std::vector<Object>> files_;
};

// Builds the kustomization in `dir` and appends its objects.
Status AppendKustomization(const FileTree& tree, const std::string& dir, const LoadOptions& options,
                           std::vector<Object>* out) {
  if (!options.kustomizer)
    return Status::Invalid(dir + ": holds a kustomization, and no kustomize builder was given to read it");
  WARREN_ASSIGN_OR_RETURN(auto built, options.kustomizer->Build(tree, dir));
  std::string file = dir + "/kustomization.yaml";
  // SOPS objects are decrypted one by one after the build, as Flux does, each against the file
  // it came from (whose MAC covers the file as written, not what the build made of it).
  LoadOptions build_options = options;
  build_options.decryptor = nullptr;
  build_options.keep_encrypted = true;
  auto objects = ObjectsFromText(built.yaml, file, build_options);
  if (!objects.ok()) return objects.status().WithContext("the output of building " + dir);
  OriginLocator locator(tree, built, options);
  for (Object& o : objects.value()) {
    locator.Locate(&o, SourceLocation{dir});
    if (HasSopsBlock(o.doc())) {
      std::string what = o.key().ToString() + " (built from " + dir + ")";
      if (!options.decryptor)
        return Status::Invalid(o.where().ToString() + ": " + what +
                               " is encrypted with SOPS, and no decryption key is configured");
      WARREN_RETURN_IF_ERROR(options.decryptor->DecryptBuilt(&o.mutable_doc(), what, tree, o.where().file));
    }
    out->push_back(std::move(o));
  }
  return Status::Ok();
}

// A Secret value holding SOPS ciphertext that no decryption covered: a secretGenerator file or env
// encrypted with sops, say (Flux decrypts those before the build; warren decrypts whole manifest
// files). Refused, so ciphertext never reaches the cluster.
Status CheckNoCiphertext(const Object& o) {
  for (const PlainSecretValue& v : PlainSecretValues(o)) {
    if (!v.value->is_string()) continue;
    std::optional<std::string> text = v.value->get<std::string>();
    if (v.field == "data") text = Base64Decode(*text);
    if (!text || text->find("ENC[AES256_GCM,") == std::string::npos) continue;
    return Status::Invalid(o.where().ToString() + ": " + o.key().ToString() + ": " + v.field + "." + v.key +
                           " holds SOPS ciphertext that nothing decrypted (a secretGenerator input encrypted "
                           "with sops?); warren decrypts whole manifest files: encrypt the Secret's manifest "
                           "instead, or generate it from plaintext kept out of git");
  }
  return Status::Ok();
}

// Decrypts `docs` when they are a SOPS file; refuses them when nothing can.
Status OpenSops(const std::string& text, const std::string& file, bool json, const LoadOptions& options,
                std::vector<Document>* docs) {
  bool sops = false;
  for (const Document& d : *docs) sops = sops || HasSopsBlock(d.value);
  if (!sops || options.keep_encrypted) return Status::Ok();
  if (!options.decryptor)
    return Status::Invalid(file + ": is encrypted with SOPS, and no decryption key is configured");
  return options.decryptor->DecryptFile(text, file, json, docs);
}

}  // namespace

bool HasSopsBlock(const Json& doc) {
  if (!doc.is_object()) return false;
  auto it = doc.find("sops");
  return it != doc.end() && it->is_object();
}

bool LooksLikeJson(const std::string& file, const std::string& text) {
  if (file.size() >= 5 && file.compare(file.size() - 5, 5, ".json") == 0) return true;
  if (HasManifestExtension(file)) return false;
  for (char c : text) {
    if (isspace(static_cast<unsigned char>(c))) continue;
    return c == '{' || c == '[';
  }
  return false;
}

Result<std::vector<Document>> DecodeDocuments(const std::string& text, const std::string& file,
                                              const DecodeOptions& options) {
  if (!LooksLikeJson(file, text)) return DecodeYaml(text, file, options);
  WARREN_ASSIGN_OR_RETURN(auto doc, DecodeJson(text, file, options));
  std::vector<Document> docs;
  docs.push_back(std::move(doc));
  return docs;
}

Result<std::vector<Object>> ObjectsFromText(const std::string& text, const std::string& file,
                                            const LoadOptions& options) {
  WARREN_ASSIGN_OR_RETURN(auto docs, DecodeDocuments(text, file, options.decode));
  return ObjectsFromDocuments(std::move(docs), text, file, options);
}

Result<std::vector<Object>> ObjectsFromDocuments(std::vector<Document> docs, const std::string& text,
                                                 const std::string& file, const LoadOptions& options) {
  std::vector<Object> out;
  out.reserve(docs.size());  // one each, unless a List holds more
  WARREN_RETURN_IF_ERROR(OpenSops(text, file, LooksLikeJson(file, text), options, &docs));
  for (Document& d : docs) WARREN_RETURN_IF_ERROR(AppendDocument(std::move(d), options, &out));
  return out;
}

namespace {

// A definitions file read as one JSON value; a SOPS one decrypted like any other file.
Result<Json> OpenDefinitions(Json doc, const std::string& text, const std::string& file, const LoadOptions& options) {
  std::vector<Document> docs;
  docs.push_back({std::move(doc), SourceLocation{file}, nullptr, nullptr});
  WARREN_RETURN_IF_ERROR(OpenSops(text, file, true, options, &docs));
  return std::move(docs[0].value);
}

}  // namespace

bool IsRabbitDefinitions(const Json& doc) {
  if (!doc.is_object() || doc.contains("kind") || doc.contains("apiVersion")) return false;
  for (const char* key :
       {"rabbit_version", "rabbitmq_version", "vhosts", "queues", "exchanges", "bindings", "policies"})
    if (doc.contains(key)) return true;
  return false;
}

Result<std::vector<Object>> LoadManifests(const FileTree& tree, const std::vector<std::string>& paths,
                                          const LoadOptions& options) {
  WARREN_ASSIGN_OR_RETURN(auto loaded, LoadRepository(tree, paths, options));
  return std::move(loaded.objects);
}

Result<LoadedManifests> LoadRepository(const FileTree& tree, const std::vector<std::string>& paths,
                                       const LoadOptions& options) {
  LoadedManifests out;
  std::vector<Object>& all = out.objects;
  for (const std::string& path : paths) {
    WARREN_ASSIGN_OR_RETURN(auto listed, tree.ListFiles(path));
    std::vector<std::string> files;
    for (const std::string& file : listed)
      if (file == path || !HiddenComponent(file.substr(path.size()))) files.push_back(file);
    std::vector<std::string> kustomizations = KustomizationRoots(files);
    for (const std::string& dir : kustomizations) WARREN_RETURN_IF_ERROR(AppendKustomization(tree, dir, options, &all));
    for (const std::string& file : files) {
      bool named = file == path;
      bool built = false;
      for (const std::string& dir : kustomizations) built = built || Under(file, dir);
      if (built || (!named && !HasManifestExtension(file))) continue;
      WARREN_ASSIGN_OR_RETURN(auto size, tree.Size(file));
      if (size > options.decode.max_bytes)
        return Status::Limit(file + ": " + std::to_string(size) + " bytes is more than the limit of " +
                             std::to_string(options.decode.max_bytes) + " bytes");
      WARREN_ASSIGN_OR_RETURN(auto text, tree.Read(file));
      if (text.size() > options.defer_list_items_above) {
        WARREN_ASSIGN_OR_RETURN(bool deferred, AppendDeferredList(text, file, options, &all));
        if (deferred) continue;
      }
      WARREN_ASSIGN_OR_RETURN(auto docs, DecodeDocuments(text, file, options.decode));
      // Definitions files are JSON: one document, read once whichever it turns out to be.
      if (LooksLikeJson(file, text) && docs.size() == 1 && IsRabbitDefinitions(docs[0].value)) {
        WARREN_ASSIGN_OR_RETURN(auto opened, OpenDefinitions(std::move(docs[0].value), text, file, options));
        out.definitions.push_back({std::move(opened), file});
        continue;
      }
      WARREN_ASSIGN_OR_RETURN(auto objects, ObjectsFromDocuments(std::move(docs), text, file, options));
      if (all.empty()) {
        all = std::move(objects);
        continue;
      }
      for (Object& o : objects) all.push_back(std::move(o));
    }
  }
  WARREN_RETURN_IF_ERROR(CheckUniqueIdentities(all));
  if (!options.keep_encrypted && !(options.decryptor && options.decryptor->LeavesCiphertext()))
    for (const Object& o : all) WARREN_RETURN_IF_ERROR(CheckNoCiphertext(o));
  return out;
}

Status CheckUniqueIdentities(const std::vector<Object>& objects) {
  std::map<ResourceKey, const Object*> seen;
  for (const Object& o : objects) {
    auto [it, inserted] = seen.emplace(o.key(), &o);
    if (!inserted)
      return Status::Invalid(o.where().ToString() + ": " + o.key().ToString() + " is defined twice (first at " +
                             it->second->where().ToString() + ")");
  }
  return Status::Ok();
}

}  // namespace warren
