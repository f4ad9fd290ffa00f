// SOPS and age: the published fixtures and age's own vectors, every refusal the reference lists,
// and files of the test's own writer (multi-document YAML, JSON, the other crypt rules).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "diff/model/base64.h"
#include "diff/model/loader.h"
#include "diff/sops/age.h"
#include "diff/sops/decryptor.h"
#include "diff/sops/sops.h"
#include "diff/sops/values.h"
#include "diff/sops/yaml_nodes.h"
#include "tests/support/sops_writer.h"

namespace warren::sops {
namespace {

using testing::NewSopsKey;
using testing::SopsWriter;
using OJson = nlohmann::ordered_json;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(WARREN_SOURCE_DIR) + "/tests/fixtures/sops/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Keyring KeysFrom(const std::string& text, const std::string& source = "keys.txt") {
  Keyring k;
  auto set = ParseIdentities(text, source);
  EXPECT_TRUE(set.ok()) << set.status().message();
  if (set.ok()) k.Add(std::move(set).value(), source);
  return k;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// Loads `text` as the manifest file `file` through the loader, as warren reads a repository.
Result<std::vector<Object>> Load(const std::string& file, const std::string& text, const Keyring& keys,
                                 bool structure_only = false) {
  InMemoryFileTree tree;
  tree.Add(file, text);
  SopsDecryptor decryptor({&keys, structure_only});
  LoadOptions options;
  options.decryptor = &decryptor;
  return LoadManifests(tree, {file}, options);
}

const std::string kFluxFile = "kustomize-controller-global-secret.yaml";

// ---- age ----

TEST(Bech32, RoundTripsAndRefusesMixedCaseAndBadChecksums) {
  std::string bytes = RandomBytes(32);
  std::string text = EncodeBech32("age", bytes);
  auto back = DecodeBech32(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->hrp, "age");
  EXPECT_EQ(back->data, bytes);
  std::string mixed = text;
  mixed[5] = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed[5])));
  if (mixed != text) {
    EXPECT_FALSE(DecodeBech32(mixed));
  }
  std::string flipped = text;
  flipped.back() = flipped.back() == 'q' ? 'p' : 'q';
  EXPECT_FALSE(DecodeBech32(flipped));
}

TEST(AgeIdentities, PublishedKeysDeriveTheirCommentedRecipients) {
  for (auto [file, recipient] :
       {std::pair{"kustomize-controller-age-global.txt",
                  "age1henwn645drkd3fa34t27t2w2x0nsgw3w4h62gmg5x5xflyjpy38s5cncph"},
        std::pair{"helm-secrets-key.txt", "age1rh2xsjg8avja92j3jhtttuczgmqkz89lezxt4e3mmp5ukl5j4f9smvteju"}}) {
    auto set = ParseIdentities(Fixture(file), file);
    ASSERT_TRUE(set.ok()) << set.status().message();
    ASSERT_EQ(set.value().identities.size(), 1u);
    EXPECT_EQ(set.value().identities[0].recipient, recipient);
  }
}

TEST(AgeIdentities, FileRulesCommentsCrlfPostQuantumAndErrorsWithoutTheText) {
  std::string key = testing::NewSopsKey().identity;
  auto set = ParseIdentities("# created\r\n\r\n" + key + "\r\nAGE-SECRET-KEY-PQ-1QQQQ\n", "k.txt");
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set.value().identities.size(), 1u);
  EXPECT_EQ(set.value().skipped, 1);

  auto trailing = ParseIdentities(key + " \n", "k.txt");
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.status().message().find("k.txt:1"), std::string::npos);
  EXPECT_EQ(trailing.status().message().find(key), std::string::npos) << "the key must never be printed";

  auto junk = ParseIdentities("# c\nhello\n", "k.txt");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("k.txt:2: not an age identity"), std::string::npos);

  std::string other = testing::NewSopsKey().identity;
  auto spaced = ParseIdentities(key + " " + other, "SOPS_AGE_KEY", true);
  ASSERT_TRUE(spaced.ok());
  EXPECT_EQ(spaced.value().identities.size(), 2u);
}

// A CCTV vector: its header fields and the age file after the first empty line.
struct Vector {
  std::map<std::string, std::string> fields;
  std::string body;
};
Vector ReadVector(const std::string& name) {
  std::string text = Fixture("age/" + name);
  Vector v;
  size_t split = text.find("\n\n");
  std::istringstream head(text.substr(0, split));
  for (std::string line; std::getline(head, line);) {
    size_t colon = line.find(": ");
    if (colon != std::string::npos) v.fields[line.substr(0, colon)] = line.substr(colon + 2);
  }
  v.body = text.substr(split + 2);
  return v;
}

AgeResult OpenVector(const Vector& v) {
  auto set = ParseIdentities(v.fields.at("identity"), "vector");
  EXPECT_TRUE(set.ok());
  std::vector<const AgeIdentity*> ids;
  for (const AgeIdentity& id : set.value().identities) ids.push_back(&id);
  std::string binary = v.body;
  if (v.fields.count("armored")) {
    auto d = Dearmor(v.body);
    EXPECT_TRUE(d.ok()) << d.status().message();
    binary = d.ok() ? d.value() : "";
  }
  return DecryptAge(binary, ids);
}

TEST(AgeVectors, X25519AndArmoredDecryptToTheirPayload) {
  for (const char* name : {"x25519", "armor_x25519"}) {
    Vector v = ReadVector(name);
    AgeResult r = OpenVector(v);
    ASSERT_EQ(r.failure, AgeFailure::kNone) << name << ": " << r.reason;
    EXPECT_EQ(HexLower(Sha256(r.plaintext.view())), v.fields.at("payload")) << name;
  }
}

TEST(AgeVectors, LowOrderShareIsAHeaderFailure) {
  Vector v = ReadVector("x25519_low_order");
  ASSERT_EQ(v.fields.at("expect"), "header failure");
  AgeResult r = OpenVector(v);
  EXPECT_EQ(r.failure, AgeFailure::kHeader) << r.reason;
  EXPECT_NE(r.reason.find("low-order"), std::string::npos) << r.reason;
}

TEST(AgeFile, WriterRoundTripsAndStrictReaderRefusesDamage) {
  auto key = NewSopsKey();
  auto set = ParseIdentities(key.identity, "k");
  std::vector<const AgeIdentity*> ids{&set.value().identities[0]};
  std::string file = EncryptAge(key.public_key, std::string(70000, 'x'));  // two chunks
  AgeResult ok = DecryptAge(file, ids);
  ASSERT_EQ(ok.failure, AgeFailure::kNone) << ok.reason;
  EXPECT_EQ(ok.plaintext.size(), 70000u);

  std::string trailing = file + "x";
  EXPECT_EQ(DecryptAge(trailing, ids).failure, AgeFailure::kPayload);
  std::string cut = file.substr(0, file.size() - 10);
  EXPECT_EQ(DecryptAge(cut, ids).failure, AgeFailure::kPayload);
  std::string crlf = Replace(file, "\n", "\r\n");
  EXPECT_EQ(DecryptAge(crlf, ids).failure, AgeFailure::kHeader);

  // A header MAC that does not match: change one base64 character of the MAC line.
  size_t mac = file.find("\n--- ") + 5;
  std::string bad_mac = file;
  bad_mac[mac] = bad_mac[mac] == 'A' ? 'B' : 'A';
  EXPECT_EQ(DecryptAge(bad_mac, ids).failure, AgeFailure::kHmac);

  auto other = NewSopsKey();
  auto other_set = ParseIdentities(other.identity, "k");
  EXPECT_EQ(DecryptAge(file, {&other_set.value().identities[0]}).failure, AgeFailure::kNoMatch);
}

TEST(AgeArmor, StrictLinesAndEndings) {
  std::string armored = Armor(EncryptAge(NewSopsKey().public_key, std::string(32, 'k')));
  EXPECT_TRUE(Dearmor(armored).ok());
  EXPECT_TRUE(Dearmor("\n  \n" + armored + "  \n").ok());
  EXPECT_TRUE(Dearmor(Replace(armored, "\n", "\r\n")).ok());
  std::string no_end = armored.substr(0, armored.find("-----END"));
  EXPECT_FALSE(Dearmor(no_end).ok());
  EXPECT_FALSE(Dearmor(armored + "garbage").ok());
  EXPECT_FALSE(Dearmor(Replace(armored, "-----BEGIN AGE", "-----BEGIN age")).ok());
  std::string shortened = armored;  // a short line that is not the last
  size_t second = shortened.find('\n', shortened.find('\n') + 1);
  shortened.erase(second - 1, 1);
  EXPECT_FALSE(Dearmor(shortened).ok());
  EXPECT_FALSE(Dearmor(std::string(70 * 1024, ' ') + armored).ok());
}

// ---- SOPS: the published files ----

TEST(SopsFixtures, FluxSecretDecryptsThroughTheLoader) {
  auto objects = Load(kFluxFile, Fixture(kFluxFile), KeysFrom(Fixture("kustomize-controller-age-global.txt")));
  ASSERT_TRUE(objects.ok()) << objects.status().message();
  ASSERT_EQ(objects.value().size(), 1u);
  const Object& secret = objects.value()[0];
  EXPECT_EQ(secret.doc()["stringData"]["key"], "global-value");
  EXPECT_FALSE(secret.doc().contains("sops"));
  EXPECT_EQ(secret.encrypted(), std::vector<std::string>{"/stringData/key"});
  EXPECT_EQ(secret.name(), "global-age-secret");
}

TEST(SopsFixtures, HelmSecretsFileOfSops37DecryptsEveryTypeAndVerifiesItsMac) {
  auto opened =
      Open(Fixture("helm-secrets-secrets.age.yaml"), Format::kYaml, KeysFrom(Fixture("helm-secrets-key.txt")));
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  std::map<std::string, Json> values;
  for (const SealedValue& v : opened.value().values) values[v.pointer] = v.value;
  EXPECT_EQ(values["/global_secret"], "global_age");
  EXPECT_EQ(values["/service/port"], 92);
  EXPECT_TRUE(values["/service/port"].is_number_integer());
  EXPECT_EQ(HexLower(Sha256(values["/key"].get<std::string>())),
            "8099c7b5f61230880482096ffa3c950db2ae11270d40383a963f3defc111a2d8");
  EXPECT_EQ(opened.value().version, "3.7.1");
}

// Each failure names the file and what failed, and never a plaintext.
void ExpectRefused(const std::string& text, const Keyring& keys, const std::string& want) {
  auto objects = Load(kFluxFile, text, keys);
  ASSERT_FALSE(objects.ok()) << "accepted; wanted: " << want;
  std::string m = objects.status().message();
  EXPECT_NE(m.find(want), std::string::npos) << m;
  EXPECT_EQ(m.rfind(kFluxFile + ": ", 0), 0u) << m;
  EXPECT_EQ(m.find("global-value"), std::string::npos) << m;
  EXPECT_EQ(m.find("5d9WYyV8eyrOhF"), std::string::npos) << "ciphertext in: " << m;
}

class SopsRefusals : public ::testing::Test {
 protected:
  std::string file_ = Fixture(kFluxFile);
  Keyring keys_ = KeysFrom(Fixture("kustomize-controller-age-global.txt"));
};

TEST_F(SopsRefusals, WrongKey) {
  ExpectRefused(file_, KeysFrom(Fixture("helm-secrets-key.txt")),
                "no identity matched: 1 age identity (from keys.txt)");
}

TEST_F(SopsRefusals, NoKeyAtAll) {
  ExpectRefused(file_, Keyring{}, "no age identity is configured");
  InMemoryFileTree tree;
  tree.Add(kFluxFile, file_);
  auto plain = LoadManifests(tree, {kFluxFile});
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.status().message().find("is encrypted with SOPS, and no decryption key is configured"),
            std::string::npos);
}

TEST_F(SopsRefusals, TamperedValue) {
  ExpectRefused(Replace(file_, "data:5d9WYyV8", "data:5d9WYyV9"), keys_,
                "bad value at stringData.key: authentication failed");
}

TEST_F(SopsRefusals, ValueMovedToAnotherKey) {
  ExpectRefused(Replace(file_, "  key: ENC", "  key2: ENC"), keys_,
                "bad value at stringData.key2: authentication failed");
}

TEST_F(SopsRefusals, ChangedPlaintextFieldIsAMacMismatch) {
  ExpectRefused(Replace(file_, "namespace: default", "namespace: prod"), keys_, "MAC mismatch");
}

TEST_F(SopsRefusals, ReorderedKeysAreAMacMismatch) {
  std::string swapped = Replace(file_, "apiVersion: v1\nkind: Secret\n", "kind: Secret\napiVersion: v1\n");
  ExpectRefused(swapped, keys_, "MAC mismatch");
}

TEST_F(SopsRefusals, RenamedPlaintextKeyKeepsTheMac) {
  // Keys are not hashed (sops's design): renaming a plaintext key is not detected, and the object
  // then fails the loader's own check instead.
  auto objects = Load(kFluxFile, Replace(file_, "  name: global-age-secret", "  nom: global-age-secret"), keys_);
  ASSERT_FALSE(objects.ok());
  EXPECT_NE(objects.status().message().find("has no metadata.name"), std::string::npos) << objects.status().message();
}

TEST_F(SopsRefusals, TamperedMac) {
  ExpectRefused(Replace(file_, "mac: ENC[AES256_GCM,data:5vkro", "mac: ENC[AES256_GCM,data:5vkrp"), keys_,
                "MAC mismatch");
}

TEST_F(SopsRefusals, TruncatedArmor) {
  ExpectRefused(Replace(file_, "        -----END AGE ENCRYPTED FILE-----\n", ""), keys_, "malformed age armor");
}

TEST_F(SopsRefusals, HeaderMacMismatchInsideTheArmor) {
  // Re-armor the age file with one character of its header MAC changed.
  size_t begin = file_.find("-----BEGIN");
  size_t end = file_.find("-----END AGE ENCRYPTED FILE-----") + 32;
  std::string armored = file_.substr(begin, end - begin);
  std::string unindented;
  for (std::istringstream in(armored); std::getline(in, armored);) {
    size_t first = armored.find_first_not_of(' ');
    unindented += armored.substr(first) + "\n";
  }
  std::string binary = Dearmor(unindented).value();
  size_t mac = binary.find("\n--- ") + 5;
  binary[mac] = binary[mac] == 'A' ? 'B' : 'A';
  std::string rearmored = Armor(binary);
  std::string indented;
  for (std::istringstream in(rearmored); std::getline(in, armored);) indented += "        " + armored + "\n";
  std::string tampered = file_.substr(0, begin - 8) + indented + file_.substr(end + 1);
  ExpectRefused(tampered, keys_, "HMAC failure");
}

TEST_F(SopsRefusals, UnknownVersion) {
  ExpectRefused(Replace(file_, "version: 3.10.2", "version: 4.0.0"), keys_, "sops version 4.0.0 is not supported");
}

TEST_F(SopsRefusals, PlaintextInAnEncryptedPosition) {
  ExpectRefused(Replace(file_, "stringData:\n", "stringData:\n  extra: x\n"), keys_,
                "bad value at stringData.extra: plaintext where the file's rule says the value is encrypted");
}

TEST_F(SopsRefusals, ShamirKeyGroupsPgpOnlyAndCommentRules) {
  std::string groups =
      Replace(file_, "  age:\n    - recipient", "  key_groups:\n  - age: []\n  - age: []\n  agex:\n    - recipient");
  ExpectRefused(groups, keys_, "split across 2 key_groups (Shamir)");
  std::string pgp = Replace(file_, "  age:\n    - recipient", "  pgp:\n    - fp: ABC\n  agex:\n    - recipient");
  ExpectRefused(pgp, keys_, "no age recipient: the data key is wrapped for pgp only");
  std::string comments = Replace(file_, "  encrypted_regex: ^(data|stringData)$", "  encrypted_comment_regex: sops");
  ExpectRefused(comments, keys_, "encrypted_comment_regex is not supported");
  std::string two = Replace(file_, "  encrypted_regex: ^(data|stringData)$",
                            "  encrypted_regex: ^(data|stringData)$\n  unencrypted_suffix: _plain");
  ExpectRefused(two, keys_, "more than one of the *_suffix and *_regex rules");
}

// ---- SOPS: files of the test's own writer ----

OJson SecretDoc(const std::string& name, const std::string& password) {
  return OJson{{"apiVersion", "v1"},
               {"kind", "Secret"},
               {"metadata", {{"name", name}, {"namespace", "rabbitmq"}, {"labels", {{"app", "rabbitmq"}}}}},
               {"type", "Opaque"},
               {"stringData", {{"password", password}, {"empty", ""}}}};
}

TEST(SopsWriterFiles, MultiDocumentYamlHasOneMacOverEveryDocument) {
  auto key = NewSopsKey();
  SopsWriter writer({key});
  std::string text = writer.Yaml({SecretDoc("a", "alpha"), SecretDoc("b", "bravo")});
  Keyring keys = KeysFrom(key.identity);
  auto objects = Load("two.yaml", text, keys);
  ASSERT_TRUE(objects.ok()) << objects.status().message();
  ASSERT_EQ(objects.value().size(), 2u);
  EXPECT_EQ(objects.value()[0].doc()["stringData"]["password"], "alpha");
  EXPECT_EQ(objects.value()[1].doc()["stringData"]["password"], "bravo");
  EXPECT_EQ(objects.value()[1].doc()["stringData"]["empty"], "");

  // Changing the second document's plaintext breaks the one MAC.
  size_t second = text.find("---\n");
  std::string tampered = text.substr(0, second) + Replace(text.substr(second), "\"rabbitmq\"", "\"other\"");
  auto refused = Load("two.yaml", tampered, keys);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("MAC mismatch"), std::string::npos);
}

TEST(SopsWriterFiles, DefaultSuffixRuleEncryptsEveryTypeExceptUnencryptedKeys) {
  auto key = NewSopsKey();
  testing::SopsWriteOptions options;
  options.encrypted_regex = "";
  SopsWriter writer({key}, options);
  OJson doc{{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", "typed"}, {"labels_unencrypted", {{"a", "b"}}}}},
            {"data", {{"replicas", 3}, {"enabled", true}, {"ratio", 1.5}, {"list", {"x", "y"}}}}};
  std::string text = writer.Yaml({doc});
  EXPECT_NE(text.find("labels_unencrypted:\n    a: \"b\""), std::string::npos) << text;
  auto opened = Open(text, Format::kYaml, KeysFrom(key.identity));
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  std::map<std::string, Json> values;
  for (const SealedValue& v : opened.value().values) values[v.pointer] = v.value;
  EXPECT_EQ(values["/data/replicas"], 3);
  EXPECT_EQ(values["/data/enabled"], true);
  EXPECT_EQ(values["/data/ratio"], 1.5);
  EXPECT_EQ(values["/data/list/1"], "y");
  EXPECT_EQ(values["/kind"], "ConfigMap");
  EXPECT_FALSE(values.count("/metadata/labels_unencrypted/a"));
}

TEST(SopsWriterFiles, EncryptedSuffixAndUnencryptedRegexRulesAndCommentsIgnored) {
  auto key = NewSopsKey();
  OJson doc{{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata", {{"name", "rules"}}},
            {"stringData", {{"password_enc", "p1"}, {"user", "u1"}}}};
  testing::SopsWriteOptions suffix;
  suffix.encrypted_regex = "";
  suffix.encrypted_suffix = "_enc";
  std::string text = SopsWriter({key}, suffix).Yaml({doc});
  // Comments anywhere are not part of the MAC (sops keeps them, warren drops them).
  text = "# encrypted with sops\n" + Replace(text, "stringData:\n", "stringData: # values\n  # the user\n");
  auto objects = Load("suffix.yaml", text, KeysFrom(key.identity));
  ASSERT_TRUE(objects.ok()) << objects.status().message();
  EXPECT_EQ(objects.value()[0].doc()["stringData"]["password_enc"], "p1");
  EXPECT_EQ(objects.value()[0].encrypted(), std::vector<std::string>{"/stringData/password_enc"});

  testing::SopsWriteOptions unencrypted;
  unencrypted.encrypted_regex = "";
  unencrypted.unencrypted_regex = "^(apiVersion|kind|metadata)$";
  auto opened = Load("regex.yaml", SopsWriter({key}, unencrypted).Yaml({doc}), KeysFrom(key.identity));
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  EXPECT_EQ(opened.value()[0].doc()["stringData"]["user"], "u1");
  EXPECT_EQ(opened.value()[0].encrypted().size(), 2u);
}

TEST(SopsWriterFiles, JsonDefinitionsFileWithPasswordsIsDecryptedByTheLoader) {
  auto key = NewSopsKey();
  testing::SopsWriteOptions options;
  options.encrypted_regex = "^password$";
  SopsWriter writer({key}, options);
  OJson defs{{"rabbit_version", "3.10.7"},
             {"users", {{{"name", "app"}, {"password", "s3cret-app"}, {"tags", ""}}}},
             {"vhosts", {{{"name", "orders"}}}}};
  InMemoryFileTree tree;
  tree.Add("definitions.json", writer.Json(defs));
  Keyring keys = KeysFrom(key.identity);
  SopsDecryptor decryptor({&keys, false});
  LoadOptions lo;
  lo.decryptor = &decryptor;
  auto loaded = LoadRepository(tree, {"definitions.json"}, lo);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded.value().definitions.size(), 1u);
  const Json& d = loaded.value().definitions[0].doc;
  EXPECT_EQ(d["users"][0]["password"], "s3cret-app");
  EXPECT_FALSE(d.contains("sops"));
}

TEST(SopsWriterFiles, MacOnlyEncryptedLetsPlaintextFieldsChange) {
  auto key = NewSopsKey();
  testing::SopsWriteOptions options;
  options.mac_only_encrypted = true;
  SopsWriter writer({key}, options);
  std::string text = writer.Yaml({SecretDoc("a", "alpha")});
  auto relabelled = Load("s.yaml", Replace(text, "app: \"rabbitmq\"", "app: \"other\""), KeysFrom(key.identity));
  ASSERT_TRUE(relabelled.ok()) << relabelled.status().message();
  EXPECT_EQ(relabelled.value()[0].doc()["stringData"]["password"], "alpha");
}

TEST(SopsWriterFiles, SeveralRecipientsAnyIdentityOpens) {
  auto a = NewSopsKey(), b = NewSopsKey();
  SopsWriter writer({a, b});
  std::string text = writer.Yaml({SecretDoc("x", "xray")});
  auto objects = Load("s.yaml", text, KeysFrom(b.identity));
  ASSERT_TRUE(objects.ok()) << objects.status().message();
  EXPECT_EQ(objects.value()[0].doc()["stringData"]["password"], "xray");
}

// A secretGenerator input encrypted with sops ends up as ciphertext inside a Secret's data, with no
// sops block for the loader to see: refused, never applied.
TEST(SopsCiphertext, ASecretHoldingCiphertextNothingDecryptedIsRefused) {
  std::string dotenv =
      "password=ENC[AES256_GCM,data:AA==,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n"
      "sops_mac=ENC[AES256_GCM,data:AA==,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n";
  std::string secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: generated, namespace: dev}\ndata:\n  .env: " +
                       Base64Encode(dotenv) + "\n";
  auto refused = Load("secret.yaml", secret, Keyring{});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(
      refused.status().message().find("Secret dev/generated: data..env holds SOPS ciphertext that nothing decrypted"),
      std::string::npos)
      << refused.status().message();
  auto as_string =
      Load("s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {p: \"ENC[AES256_GCM,data:x]\"}\n",
           Keyring{});
  EXPECT_FALSE(as_string.ok());
  // Lint without a key leaves a SOPS file's values encrypted on purpose: no refusal there.
  EXPECT_TRUE(Load(kFluxFile, Fixture(kFluxFile), Keyring{}, true).ok());
}

TEST(SopsInspect, StructureOnlyKeepsCiphertextAndMarksEncryptedValues) {
  auto objects = Load(kFluxFile, Fixture(kFluxFile), Keyring{}, true);
  ASSERT_TRUE(objects.ok()) << objects.status().message();
  const Object& s = objects.value()[0];
  EXPECT_EQ(s.doc()["stringData"]["key"].get<std::string>().rfind("ENC[AES256_GCM", 0), 0u);
  EXPECT_FALSE(s.doc().contains("sops"));
  EXPECT_EQ(s.encrypted(), std::vector<std::string>{"/stringData/key"});
  auto bad =
      Load(kFluxFile, Replace(Fixture(kFluxFile), "stringData:\n", "stringData:\n  extra: x\n"), Keyring{}, true);
  EXPECT_FALSE(bad.ok());
}

// ---- values ----

TEST(SopsValues, GoFormattingOfPlainScalars) {
  EXPECT_EQ(ResolveYaml12("0x1F").canonical, "31");
  EXPECT_EQ(ResolveYaml12("0777").canonical, "511");
  EXPECT_EQ(ResolveYaml12("+5").canonical, "5");
  EXPECT_EQ(ResolveYaml12("1_000").canonical, "1000");
  EXPECT_EQ(ResolveYaml12("1.50").canonical, "1.5");
  EXPECT_EQ(ResolveYaml12("1e3").canonical, "1000");
  EXPECT_EQ(ResolveYaml12("1.0").canonical, "1");
  EXPECT_EQ(ResolveYaml12(".inf").canonical, "+Inf");
  EXPECT_EQ(ResolveYaml12("09").canonical, "9");  // not octal: a float, as go-yaml v3 reads it
  EXPECT_EQ(ResolveYaml12("yes").kind, PlainKind::kString);
  EXPECT_EQ(ResolveYaml12("True").canonical, "True");
  EXPECT_EQ(ResolveYaml12("~").kind, PlainKind::kNull);
  EXPECT_EQ(ResolveYaml12("18446744073709551615").kind, PlainKind::kUnsupported);
  EXPECT_EQ(ResolveYaml12("2024-01-01").kind, PlainKind::kTimestamp);
  EXPECT_EQ(FormatGoFloat(0.0000001), "0.0000001");
  EXPECT_EQ(FormatGoFloat(1e20), "100000000000000000000");
  EXPECT_EQ(*LastModifiedAad("2021-11-05T00:56:57Z"), "2021-11-05T00:56:57Z");
  EXPECT_EQ(*LastModifiedAad("2021-11-05T00:56:57.123+00:00"), "2021-11-05T00:56:57Z");
  EXPECT_FALSE(LastModifiedAad("yesterday"));
}

TEST(SopsValues, EncSyntaxIsStrict) {
  std::string good =
      "ENC[AES256_GCM,data:5d9WYyV8eyrOhF/m,iv:wuxE+q4pB+2cXBLcOy4/eZFSteLXJJDEI001UFAPd3A=,"
      "tag:EyM2zosBOv5/DnZMUqyNJg==,type:str]";
  EXPECT_TRUE(ParseEnc(good));
  EXPECT_FALSE(ParseEnc(good + " "));
  EXPECT_FALSE(ParseEnc(Replace(good, "AES256_GCM", "AES128_GCM")));
  EXPECT_FALSE(ParseEnc(Replace(good, "tag:EyM2zosBOv5/DnZMUqyNJg==", "tag:EyM2zosBOv5/DnZMUqyN")));
  EXPECT_FALSE(ParseEnc(Replace(good, "type:str", "type:")));
  EXPECT_FALSE(DecodeTyped("12x", "int"));
  EXPECT_FALSE(DecodeTyped("maybe", "bool"));
  EXPECT_FALSE(DecodeTyped("x", "comment"));
  EXPECT_EQ(DecodeTyped("T", "bool")->second, "True");
}

// The loader reads what YAML::LoadAll reads, tags, duplicate keys and aliases included.
TEST(SopsYamlNodes, ReadsWhatLoadAllReads) {
  for (const char* text : {
           "a: 1\nb: 'x'\nc: !!str 3\nd: [1, \"y\", ~]\n",
           "k: v\nk: w\n",
           "base: &b {x: 1}\nuse: *b\n",
           "---\na: 1\n---\n---\n- [x, {y: z}]\n",
           "",
       }) {
    auto mine = LoadYamlNodes(text, "f.yaml");
    ASSERT_TRUE(mine.ok()) << text << ": " << mine.status().message();
    std::vector<YAML::Node> theirs = YAML::LoadAll(text);
    ASSERT_EQ(mine.value().size(), theirs.size()) << text;
    for (size_t i = 0; i < theirs.size(); ++i) {
      EXPECT_EQ(YAML::Dump(mine.value()[i]), YAML::Dump(theirs[i])) << text;
      EXPECT_EQ(mine.value()[i].Tag(), theirs[i].Tag()) << text;
    }
  }
  auto doc = LoadYamlNodes("a: x\nb: 'x'\nc: &n [1]\nd: *n\n", "f.yaml").value().at(0);
  EXPECT_EQ(doc["a"].Tag(), "?");  // plain
  EXPECT_EQ(doc["b"].Tag(), "!");  // quoted
  EXPECT_TRUE(doc["c"].is(doc["d"]));
}

// Where yaml-cpp 0.7 would report empty documents without end (found by fuzzing the SOPS reader:
// LoadAll filled memory), the loader stops with the place.
TEST(SopsYamlNodes, StopsWhereYamlCppMakesNoProgress) {
  for (const char* text : {",", "\"\",", "!\"x\","}) {
    auto r = LoadYamlNodes(text, "f.yaml");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find("f.yaml:"), std::string::npos) << r.status().message();
  }
  std::ifstream in(std::string(WARREN_SOURCE_DIR) + "/tests/fuzz/regressions/sops/tag-then-bracket-yaml-cpp-loops",
                   std::ios::binary);
  std::stringstream found;
  found << in.rdbuf();
  ASSERT_FALSE(found.str().empty());
  EXPECT_FALSE(Open(found.str(), Format::kYaml, Keyring{}).ok());
  auto r = LoadYamlNodes(found.str(), "the file");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("made no progress"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace warren::sops
