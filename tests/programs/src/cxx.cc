// tests/programs/src/cxx.cc — a C++ program linked with g++ -static:
// iostreams, std::map and std::vector with the library's allocator,
// std::sort, std::string formatting, a thrown and caught exception (the
// unwinder reads .eh_frame in user space), std::thread with std::mutex,
// and static constructors run before main.  Usage: cxx [N]
#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Registry {
	std::vector<std::string> names;
	Registry() { names.push_back("constructed before main"); }
};
Registry registry;

unsigned long long state = 12345;

unsigned long long rnd()
{
	state = state * 6364136223846793005ull + 1442695040888963407ull;
	return state >> 20;
}

int checked_div(int a, int b)
{
	if (b == 0)
		throw std::domain_error("division by zero of " + std::to_string(a));
	return a / b;
}

}  // namespace

int main(int argc, char **argv)
{
	int n = argc > 1 ? std::atoi(argv[1]) : 5000;
	std::map<unsigned, unsigned> counts;
	std::vector<unsigned long long> v;
	for (int i = 0; i < n; i++) {
		unsigned long long x = rnd();
		v.push_back(x);
		counts[unsigned(x % 97)]++;
	}
	std::sort(v.begin(), v.end());
	unsigned long long sum = std::accumulate(v.begin(), v.end(), 0ull);
	std::cout << registry.names[0] << "\n";
	std::cout << "n " << n << " buckets " << counts.size() << " min " << v.front() << " max " << v.back()
		  << " sum " << sum << "\n";
	std::ostringstream os;
	os << std::fixed << std::setprecision(6) << double(sum) / n << " " << std::hex << v[n / 2];
	std::cout << "mean/median " << os.str() << "\n";

	int caught = 0;
	for (int i = -2; i <= 2; i++) {
		try {
			std::cout << "100/" << i << " = " << checked_div(100, i) << "\n";
		} catch (const std::domain_error &e) {
			caught++;
			std::cout << "caught: " << e.what() << "\n";
		}
	}

	std::mutex m;
	unsigned long long total = 0;
	std::vector<std::thread> threads;
	for (int t = 0; t < 3; t++)
		threads.emplace_back([&, t] {
			unsigned long long local = 0;
			for (int i = t; i < n; i += 3)
				local += v[i] % 1000;
			std::lock_guard<std::mutex> g(m);
			total += local;
		});
	for (auto &th : threads)
		th.join();
	unsigned long long want = 0;
	for (auto x : v)
		want += x % 1000;
	std::cout << "threads total " << total << (total == want ? " (right)" : " (WRONG)") << "\n";
	return caught == 1 && total == want ? 0 : 1;
}
