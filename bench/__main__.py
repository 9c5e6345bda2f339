"""`make bench`: the engine table, then the API figures, then the output preview; all into bench/results.json."""

import sys

from bench import api_bench, engine_bench, preview_bench

if __name__ == "__main__":
    status = engine_bench.main(sys.argv[1:])
    sys.exit(status or api_bench.main([]) or preview_bench.main([]))
