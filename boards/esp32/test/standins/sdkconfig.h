#pragma once
/* The test writes the configuration (asnet_sdkconfig.h in its work folder) per combination. */
#include "asnet_sdkconfig.h"
