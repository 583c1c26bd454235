// libFuzzer target: the TOML readers, run config (ApplyConfigToml) and hardware (ParseHardwareToml).
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/config.h"
#include "hw/hardware.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  mcmpart::common::Config config;
  if (mcmpart::common::ApplyConfigToml(text, "fuzz.toml", &config).ok() &&
      mcmpart::common::ValidateConfig(config).ok()) {
    // The recorded config must read back.
    mcmpart::common::Config again;
    if (!mcmpart::common::ApplyConfigToml(mcmpart::common::ConfigToToml(config), "roundtrip",
                                          &again).ok()) {
      __builtin_trap();
    }
  }
  auto hw = mcmpart::hw::ParseHardwareToml(text, "fuzz.toml");
  if (hw.ok()) {
    if (!mcmpart::hw::ValidateHardware(*hw).ok()) __builtin_trap();
    auto again = mcmpart::hw::ParseHardwareToml(mcmpart::hw::HardwareToToml(*hw), "roundtrip.toml");
    if (!again.ok() || again->num_chips != hw->num_chips) __builtin_trap();
  }
  return 0;
}
