package main

import (
	"bytes"
	"fmt"
	"log"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kazoo-go/kazoo/bench/internal/goclients"
	"github.com/kazoo-go/kazoo/bench/internal/workload"
)

// Job names: a workload with its parameters.
const (
	jobSeqGet       = "seqget"
	jobRead1        = "read1"
	jobRead16       = "read16"
	jobRead256      = "read256"
	jobCreateDelete = "createdelete"
	jobWatches      = "watches"
)

// allJobs is every job, in the order of the report.
var allJobs = []string{jobSeqGet, jobRead1, jobRead16, jobRead256, jobCreateDelete, jobWatches}

// jobByName returns the command a job sends to every worker.
func jobByName(cfg *config, name string) (workload.Command, bool) {
	warm := func(ops int) int { return int(float64(ops) * cfg.warmup) }
	c := workload.Command{Cmd: "run", Timeout: cfg.timeout, Inflight: 1, Path: dataPath}
	switch name {
	case jobSeqGet:
		c.Workload, c.Ops = workload.SeqGet, cfg.seqOps
	case jobRead1:
		c.Workload, c.Ops = workload.Read, cfg.read1Ops
	case jobRead16:
		c.Workload, c.Ops, c.Inflight = workload.Read, cfg.read16Ops, 16
	case jobRead256:
		c.Workload, c.Ops, c.Inflight = workload.Read, cfg.read256Ops, 256
	case jobCreateDelete:
		c.Workload, c.Ops, c.Inflight, c.Path, c.Prefix = workload.CreateDelete, cfg.cdOps&^1, cfg.cdInflight, "", seqPrefix
	case jobWatches:
		c.Workload, c.Inflight, c.Path = workload.Watches, cfg.watchFlight, ""
		c.WatchRoot, c.WatchCount, c.WatchBatch = watchRoot, cfg.watches, cfg.watchBatch
		c.Warmup = max(cfg.watches/10, 1)
		return c, true
	default:
		return c, false
	}
	c.Warmup = warm(c.Ops)
	return c, true
}

// run is one measurement: a client's result for a job in a round.
type run struct {
	Job   string `json:"job"`
	Round int    `json:"round"`
	workload.Result
}

// runSuite runs every job on every worker, round after round. Within a
// round, each job goes to the workers one at a time, starting with a
// different worker for each round and job.
func runSuite(cfg *config, workers []*worker) *report {
	rep := &report{Clients: map[string]clientMeta{}}
	tree := treeVersion()
	for _, w := range workers {
		v := w.version
		if v == "this tree" {
			v = tree
		}
		rep.Clients[w.spec.name] = clientMeta{Version: v, Description: clientInfo[w.spec.name]}
	}
	total := cfg.rounds * len(cfg.workloads) * len(workers)
	step := 0
	for round := range cfg.rounds {
		for j, job := range cfg.workloads {
			cmd, _ := jobByName(cfg, job)
			for k := range workers {
				w := workers[(round+j+k)%len(workers)]
				step++
				c := cmd
				if cfg.profileDir != "" && isGo(w.spec.name) {
					c.Profile = filepath.Join(cfg.profileDir, w.spec.name+"."+job+".cpu.pprof")
				}
				if cfg.memProfileDir != "" && isGo(w.spec.name) {
					c.MemProfile = filepath.Join(cfg.memProfileDir, w.spec.name+"."+job+".allocs.pprof")
				}
				// Room for connecting, the warm-up and the
				// event wait on top of the measured run.
				res, err := w.do(&c, 2*cfg.timeout+3*time.Minute)
				if err != nil {
					res.Error = err.Error()
					res.Client = w.spec.name
				}
				res.Workload = cmd.Workload
				r := run{Job: job, Round: round + 1, Result: res}
				rep.Runs = append(rep.Runs, r)
				log.Printf("[%d/%d] round %d %-12s %-10s %s", step, total, round+1, job, w.spec.name, brief(&r))
			}
		}
	}
	return rep
}

func isGo(client string) bool {
	_, ok := goclients.Dialers[client]
	return ok
}

// brief is a one-line account of a run, for the progress log.
func brief(r *run) string {
	switch {
	case r.Error != "":
		return "ERROR " + r.Error
	case r.Job == jobWatches:
		return fmt.Sprintf("set %.3fs fire %.3fs cpu %.3fs", r.SetSeconds, r.FireSeconds, r.CPUUser+r.CPUSys)
	case r.Job == jobSeqGet:
		return fmt.Sprintf("p50 %.1fµs p99 %.1fµs cpu %.3fs", r.P50Us, r.P99Us, r.CPUUser+r.CPUSys)
	}
	s := fmt.Sprintf("%.0f ops/s cpu %.3fs", r.OpsPerSec, r.CPUUser+r.CPUSys)
	if r.Truncated {
		s += " (truncated)"
	}
	return s
}

// treeVersion names the source tree being measured: the commit, and
// whether files outside bench/ differ from it.
func treeVersion() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "this tree (not a git checkout)"
	}
	v := "commit " + strings.TrimSpace(string(out))
	st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no", "--", "..", ":!../bench").Output()
	if err == nil && len(bytes.TrimSpace(st)) > 0 {
		v += " + uncommitted changes"
	}
	return v
}

// goVersion is the version a Go worker reports.
func goVersion(client string) string {
	if client == goclients.GoZK {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, m := range bi.Deps {
				if m.Path == "github.com/go-zookeeper/zk" {
					return m.Version
				}
			}
		}
		return "unknown"
	}
	return "this tree"
}
