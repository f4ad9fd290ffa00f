# The fuzz targets: each one's libraries and inputs (its regression inputs first, then the seed
# corpora: the repository's own manifests and fixtures). The includer defines
# warren_fuzz_target(NAME DEPS ... INPUTS ...): tests/CMakeLists.txt replays the inputs under
# ctest in every build; tests/fuzz/CMakeLists.txt builds the libFuzzer binaries (WARREN_FUZZ=ON).
set(_fuzz ${PROJECT_SOURCE_DIR}/tests/fuzz)
set(_manifests ${PROJECT_SOURCE_DIR}/manifests ${PROJECT_SOURCE_DIR}/tests/fixtures ${PROJECT_SOURCE_DIR}/deploy)
warren_fuzz_target(yaml_decode DEPS warren_model INPUTS ${_fuzz}/regressions/yaml_decode ${_manifests})
warren_fuzz_target(json_decode DEPS warren_model INPUTS ${_fuzz}/seeds/json_decode ${_fuzz}/seeds/documents
  ${_fuzz}/seeds/remote ${PROJECT_SOURCE_DIR}/tests/fixtures)
warren_fuzz_target(manifests DEPS warren_check warren_diff INPUTS ${_fuzz}/regressions/manifests ${_manifests})
warren_fuzz_target(values DEPS warren_model INPUTS ${_fuzz}/regressions/values ${_fuzz}/seeds/values)
warren_fuzz_target(documents DEPS warren_diff warren_rabbit INPUTS ${_fuzz}/seeds/documents ${PROJECT_SOURCE_DIR}/tests/golden)
warren_fuzz_target(remote DEPS warren_agent INPUTS ${_fuzz}/seeds/remote)
warren_fuzz_target(sops DEPS warren_sops INPUTS ${_fuzz}/regressions/sops ${PROJECT_SOURCE_DIR}/tests/fixtures/sops)
