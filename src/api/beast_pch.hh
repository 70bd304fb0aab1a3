#pragma once
// Precompiled header of the API module: Beast is heavy and stays inside src/api/.
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/json.hpp>
