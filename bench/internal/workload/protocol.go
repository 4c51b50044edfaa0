// Package workload defines what the benchmark driver asks of a client
// worker and what the worker answers, the wire format between them, and the
// measurement helpers the Go workers share.
//
// Every client, whatever its language, runs as a worker process of its own:
// it reads one command per line on stdin and answers each with one JSON
// object per line on stdout. A command is a line of space-separated
// key=value pairs (so that the C and Java workers need no JSON parser):
//
//	cmd=run workload=read ops=100000 warmup=2000 inflight=256 path=/bench/data timeout=60
//	cmd=quit
//
// The worker connects a fresh session for each run (outside the measured
// window), runs the warm-up, measures the run itself (wall time with a
// monotonic clock, CPU as the user and system time the OS charges to the
// worker process), closes the session and prints a [Result]. Workers only
// ever run one command at a time, and the driver only ever lets one worker
// run at a time, so the measured CPU is the client's own.
package workload

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Workload names, as they appear in commands and results.
const (
	// SeqGet is N sequential Gets of one node: per-operation latency.
	SeqGet = "seqget"
	// Read is N Gets of one node with Inflight requests outstanding on
	// one connection: throughput.
	Read = "read"
	// CreateDelete creates ephemeral sequential nodes under Prefix and
	// deletes each created node, with Inflight requests outstanding;
	// every create and every delete counts as one operation.
	CreateDelete = "createdelete"
	// Watches leaves a data watch on WatchCount nodes (Inflight requests
	// outstanding), then changes all of them with multi requests of at
	// most WatchBatch setData operations each and waits for every event.
	Watches = "watches"
)

// Command is one request from the driver to a worker.
type Command struct {
	Cmd        string        // "run" or "quit"
	Workload   string        // SeqGet, Read, CreateDelete or Watches
	Ops        int           // measured operations (Watches: ignored, see WatchCount)
	Warmup     int           // operations run first and not measured (Watches: nodes)
	Inflight   int           // requests outstanding at once
	Path       string        // the node read by SeqGet and Read
	Prefix     string        // CreateDelete: path prefix of the sequential nodes
	WatchRoot  string        // Watches: parent of the nodes, named WatchName(i)
	WatchCount int           // Watches: how many nodes to watch
	WatchBatch int           // Watches: setData operations per multi
	Timeout    time.Duration // the measured run stops issuing requests after this
	Profile    string        // Go workers: write a CPU profile of the measured run here
	MemProfile string        // Go workers: write an allocation profile of the measured run here
}

// WatchName returns the path of watched node i under root.
func WatchName(root string, i int) string { return fmt.Sprintf("%s/n%05d", root, i) }

// Encode returns the command as one line (without the newline).
func (c *Command) Encode() string {
	var b strings.Builder
	kv := func(k, v string) {
		if v == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k + "=" + v)
	}
	num := func(k string, v int) {
		if v != 0 {
			kv(k, strconv.Itoa(v))
		}
	}
	kv("cmd", c.Cmd)
	kv("workload", c.Workload)
	num("ops", c.Ops)
	num("warmup", c.Warmup)
	num("inflight", c.Inflight)
	kv("path", c.Path)
	kv("prefix", c.Prefix)
	kv("wroot", c.WatchRoot)
	num("wcount", c.WatchCount)
	num("wbatch", c.WatchBatch)
	if c.Timeout > 0 {
		kv("timeout", strconv.FormatFloat(c.Timeout.Seconds(), 'f', -1, 64))
	}
	kv("profile", c.Profile)
	kv("memprofile", c.MemProfile)
	return b.String()
}

// ParseCommand parses a line written by Encode. Values cannot contain
// spaces; paths here never do.
func ParseCommand(line string) (Command, error) {
	var c Command
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return c, fmt.Errorf("bad field %q", f)
		}
		var err error
		atoi := func() int {
			n, e := strconv.Atoi(v)
			if e != nil {
				err = e
			}
			return n
		}
		switch k {
		case "cmd":
			c.Cmd = v
		case "workload":
			c.Workload = v
		case "ops":
			c.Ops = atoi()
		case "warmup":
			c.Warmup = atoi()
		case "inflight":
			c.Inflight = atoi()
		case "path":
			c.Path = v
		case "prefix":
			c.Prefix = v
		case "wroot":
			c.WatchRoot = v
		case "wcount":
			c.WatchCount = atoi()
		case "wbatch":
			c.WatchBatch = atoi()
		case "timeout":
			s, e := strconv.ParseFloat(v, 64)
			err = e
			c.Timeout = time.Duration(s * float64(time.Second))
		case "profile":
			c.Profile = v
		case "memprofile":
			c.MemProfile = v
		default:
			// Unknown keys are ignored, so that the driver can grow.
		}
		if err != nil {
			return c, fmt.Errorf("field %s: %v", k, err)
		}
	}
	return c, nil
}

// Result is a worker's answer to one run command. Durations are in seconds
// and latencies in microseconds, so that every language can write them with
// printf.
type Result struct {
	Client   string `json:"client"`
	Workload string `json:"workload"`
	Inflight int    `json:"inflight"`
	// Ops is the number of operations measured (fewer than asked when
	// Truncated).
	Ops       int     `json:"ops"`
	Seconds   float64 `json:"seconds"`
	OpsPerSec float64 `json:"ops_per_sec"`
	// Latency percentiles of SeqGet, in microseconds.
	P50Us  float64 `json:"p50_us,omitempty"`
	P99Us  float64 `json:"p99_us,omitempty"`
	MeanUs float64 `json:"mean_us,omitempty"`
	// CPU charged to the worker process during the measured run.
	CPUUser float64 `json:"cpu_user_s"`
	CPUSys  float64 `json:"cpu_sys_s"`
	// CSWPerOp is the number of context switches (voluntary and
	// involuntary, all threads) per operation: each is a thread that
	// slept and had to be woken, or was preempted. Negative when not
	// measured.
	CSWPerOp float64 `json:"csw_per_op"`
	// Go workers only: heap allocations and bytes per operation during
	// the measured run (runtime.MemStats deltas; every goroutine of the
	// process counts). Negative when not measured.
	AllocsPerOp float64 `json:"allocs_per_op"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	// Watches: time to leave every watch, and time from sending the
	// first multi until the last event arrived.
	SetSeconds  float64 `json:"set_seconds,omitempty"`
	FireSeconds float64 `json:"fire_seconds,omitempty"`
	Events      int     `json:"events,omitempty"`
	// Truncated is set when the run hit its timeout before Ops.
	Truncated bool   `json:"truncated,omitempty"`
	Error     string `json:"error,omitempty"`
}

// CPUPer100k returns the CPU seconds (user + system) per 100,000
// operations, or 0 without operations.
func (r *Result) CPUPer100k() float64 {
	if r.Ops == 0 {
		return 0
	}
	return (r.CPUUser + r.CPUSys) * 100000 / float64(r.Ops)
}
