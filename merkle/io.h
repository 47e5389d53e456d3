// Moved to elf/small_file.h (one bounded reader for every small file); kept so includes still build.
#pragma once

#include "elf/small_file.h"
