#!/usr/bin/python3
"""simpy_mmc.py — the M/M/c benchmark model in SimPy, for comparison with
`tierline simulate bench/flows/mmc.flow bench/flows/mmc.scenario`.

    python3 bench/simpy_mmc.py [CALLS] [--rate PER_MIN] [--agents C]
                               [--aht SECONDS] [--seed N]

Same model as bench/flows/mmc.scenario (keep the defaults in step): Poisson
arrivals at 500 calls a minute, c = 100 agents as one simpy.Resource,
exponential handling with mean 10.8 s, no abandonment, first-come first-served.
It runs until CALLS calls (default 200,000) have been placed and finished and
prints calls per second of CPU (time.process_time around env.run only, so
Python start-up and imports are not counted), plus ASA and P(wait) so one can
see it is the same queue.  It measures and prints; it asserts nothing.

The model is written the way the SimPy documentation writes it (a process
per caller that requests the resource, holds for the handling time and
releases it), not hand-tuned: the comparison is against SimPy as people use
it.  Debian 12's python3-simpy is SimPy 2.3 (module `SimPy`, the object API
with `yield request/hold/release`); with SimPy 3 or later (module `simpy`,
`with resource.request()`) installed that API is used instead.  The first
output field names the version.  Run it with Debian's /usr/bin/python3 (a
pyenv or venv python3 on PATH may not see python3-simpy).
"""
import argparse
import random
import sys
import time

try:
    import simpy                      # SimPy 3 / 4
    SIMPY = "simpy " + getattr(simpy, "__version__", "3+")
except ImportError:                   # Debian 12: SimPy 2.3
    simpy = None
    import SimPy
    from SimPy.Simulation import Simulation, Process, Resource, hold, request, release
    SIMPY = "SimPy " + getattr(SimPy, "__version__", "2")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("calls", nargs="?", type=int, default=200000)
    ap.add_argument("--rate", type=float, default=500.0, help="calls per minute")
    ap.add_argument("--agents", type=int, default=100)
    ap.add_argument("--aht", type=float, default=10.8, help="mean handle time, s")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    if a.calls < 1 or a.agents < 1 or a.rate <= 0 or a.aht <= 0:
        ap.error("calls, agents, rate and aht must be positive")

    rng = random.Random(a.seed)
    lam = a.rate / 60.0          # arrivals per second
    mu = 1.0 / a.aht             # services per second
    st = {"done": 0, "waited": 0, "wait_sum": 0.0}

    if simpy is not None:
        def caller(env, agents):
            t0 = env.now
            with agents.request() as req:
                yield req
                w = env.now - t0
                if w > 0:
                    st["waited"] += 1
                    st["wait_sum"] += w
                yield env.timeout(rng.expovariate(mu))
            st["done"] += 1

        def source(env, agents, n):
            for _ in range(n):
                env.process(caller(env, agents))
                yield env.timeout(rng.expovariate(lam))

        env = simpy.Environment()
        agents = simpy.Resource(env, capacity=a.agents)
        env.process(source(env, agents, a.calls))
        c0 = time.process_time()
        env.run()
        cpu = time.process_time() - c0
        end = env.now
    else:
        class Caller(Process):
            def run(self, agents):
                t0 = self.sim.now()
                yield request, self, agents
                w = self.sim.now() - t0
                if w > 0:
                    st["waited"] += 1
                    st["wait_sum"] += w
                yield hold, self, rng.expovariate(mu)
                yield release, self, agents
                st["done"] += 1

        class Source(Process):
            def run(self, n, agents):
                for _ in range(n):
                    c = Caller(sim=self.sim)
                    self.sim.activate(c, c.run(agents))
                    yield hold, self, rng.expovariate(lam)

        sim = Simulation()
        sim.initialize()
        agents = Resource(capacity=a.agents, sim=sim)
        src = Source(sim=sim)
        sim.activate(src, src.run(a.calls, agents))
        c0 = time.process_time()
        sim.simulate(until=1e300)
        cpu = time.process_time() - c0
        end = sim.now()
    n = st["done"]
    print("simpy_mmc (%s): %d calls, %d agents, %.0f/min, aht %.1fs: %.3f s CPU, "
          "%.0f calls/s CPU, ASA %.2f s, p_wait %.3f, simulated %.1f h"
          % (SIMPY, n, a.agents, a.rate, a.aht, cpu, n / cpu if cpu > 0 else float("nan"),
             st["wait_sum"] / n, st["waited"] / n, end / 3600.0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
