package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/kazoo-go/kazoo/bench/internal/goclients"
)

// report is everything one invocation measured; it is also the JSON file.
type report struct {
	Started  time.Time             `json:"started"`
	Finished time.Time             `json:"finished"`
	Quick    bool                  `json:"quick"`
	Machine  machineInfo           `json:"machine"`
	Server   serverInfo            `json:"server"`
	Config   map[string]any        `json:"config"`
	Clients  map[string]clientMeta `json:"clients"`
	Runs     []run                 `json:"runs"`
	Summary  []summary             `json:"summary"`
	Targets  []target              `json:"targets"`
}

type machineInfo struct {
	CPUModel     string `json:"cpu_model"`
	Cores        int    `json:"cores"`
	Kernel       string `json:"kernel"`
	Go           string `json:"go"`
	LoadAtStart  string `json:"loadavg_at_start"`
	LoadAtFinish string `json:"loadavg_at_finish"`
}

type serverInfo struct {
	Addr     string `json:"addr"`
	Version  string `json:"version"`
	JVMFlags string `json:"jvm_flags"`
}

type clientMeta struct {
	Version     string `json:"version"`
	Description string `json:"description"`
}

// summary is a client's result for a job: medians over the successful
// rounds.
type summary struct {
	Job         string  `json:"job"`
	Client      string  `json:"client"`
	Rounds      int     `json:"rounds"` // successful rounds
	Errors      int     `json:"errors"`
	Truncated   int     `json:"truncated"`
	OpsPerSec   float64 `json:"ops_per_sec"`
	OpsMin      float64 `json:"ops_per_sec_min"`
	OpsMax      float64 `json:"ops_per_sec_max"`
	P50Us       float64 `json:"p50_us,omitempty"`
	P99Us       float64 `json:"p99_us,omitempty"`
	CPUPer100k  float64 `json:"cpu_s_per_100k_ops"`
	CSWPerOp    float64 `json:"csw_per_op"`
	AllocsPerOp float64 `json:"allocs_per_op"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	SetSeconds  float64 `json:"set_seconds,omitempty"`
	FireSeconds float64 `json:"fire_seconds,omitempty"`
	// Ratios to the job's reference client of ours (see refClient):
	// the main metric (throughput, or latency / time for seqget and
	// watches) and CPU per operation.
	Ratio    float64 `json:"ratio_to_ours,omitempty"`
	CPURatio float64 `json:"cpu_ratio_to_ours,omitempty"`
}

// target is one of the performance goals of the project and its verdict.
type target struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Judged bool   `json:"judged"` // false when a client it needs did not run
	Detail string `json:"detail"`
}

// refClient is the client of ours every other client is compared with in a
// job: the synchronous API where latency is what counts, the futures where
// throughput is.
func refClient(job string) string {
	switch job {
	case jobSeqGet, jobWatches:
		return goclients.OursSync
	}
	return goclients.OursAsync
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// summarize computes the summaries and the targets.
func (r *report) summarize(cfg *config) {
	r.Finished = time.Now()
	r.Machine = machine()
	r.Config = map[string]any{
		"rounds": cfg.rounds, "seq_ops": cfg.seqOps, "read1_ops": cfg.read1Ops, "read16_ops": cfg.read16Ops,
		"read256_ops": cfg.read256Ops, "cd_ops": cfg.cdOps, "cd_inflight": cfg.cdInflight,
		"watches": cfg.watches, "watch_inflight": cfg.watchFlight, "watch_batch": cfg.watchBatch,
		"warmup": cfg.warmup, "timeout": cfg.timeout.String(), "clients": cfg.clients, "workloads": cfg.workloads,
	}
	for _, job := range cfg.workloads {
		for _, client := range cfg.clients {
			s := summary{Job: job, Client: client}
			var ops, p50, p99, cpu, csw, allocs, bytes, set, fire []float64
			for i := range r.Runs {
				x := &r.Runs[i]
				if x.Job != job || x.Client != client {
					continue
				}
				if x.Error != "" {
					s.Errors++
					continue
				}
				if x.Truncated {
					s.Truncated++
				}
				s.Rounds++
				ops = append(ops, x.OpsPerSec)
				p50 = append(p50, x.P50Us)
				p99 = append(p99, x.P99Us)
				cpu = append(cpu, x.CPUPer100k())
				csw = append(csw, x.CSWPerOp)
				allocs = append(allocs, x.AllocsPerOp)
				bytes = append(bytes, x.BytesPerOp)
				set = append(set, x.SetSeconds)
				fire = append(fire, x.FireSeconds)
			}
			if len(ops) > 0 {
				s.OpsPerSec, s.OpsMin, s.OpsMax = median(ops), slices.Min(ops), slices.Max(ops)
				s.P50Us, s.P99Us = median(p50), median(p99)
				s.CPUPer100k = median(cpu)
				s.CSWPerOp = median(csw)
				s.AllocsPerOp, s.BytesPerOp = median(allocs), median(bytes)
				s.SetSeconds, s.FireSeconds = median(set), median(fire)
			}
			r.Summary = append(r.Summary, s)
		}
	}
	for i := range r.Summary {
		s := &r.Summary[i]
		ref := r.get(s.Job, refClient(s.Job))
		if ref == nil || s.Rounds == 0 {
			continue
		}
		switch s.Job {
		case jobSeqGet:
			s.Ratio = ratio(s.P50Us, ref.P50Us)
		case jobWatches:
			s.Ratio = ratio(s.SetSeconds+s.FireSeconds, ref.SetSeconds+ref.FireSeconds)
		default:
			s.Ratio = ratio(s.OpsPerSec, ref.OpsPerSec)
		}
		s.CPURatio = ratio(s.CPUPer100k, ref.CPUPer100k)
	}
	r.Targets = r.judge()
}

// get returns the summary of a client in a job, or nil when it has no
// successful round.
func (r *report) get(job, client string) *summary {
	for i := range r.Summary {
		if s := &r.Summary[i]; s.Job == job && s.Client == client && s.Rounds > 0 {
			return s
		}
	}
	return nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// failures counts runs that ended in an error.
func (r *report) failures() int {
	n := 0
	for i := range r.Runs {
		if r.Runs[i].Error != "" {
			n++
		}
	}
	return n
}

// judge checks the performance targets of issue 4.
func (r *report) judge() []target {
	var ts []target
	add := func(name string, judged, pass bool, detail string) {
		ts = append(ts, target{Name: name, Judged: judged, Pass: judged && pass, Detail: detail})
	}

	// 1. Pipelined reads: at least the best other client's throughput, and
	// CPU per read at most 1.1x the minimal client's.
	{
		judged, pass := false, true
		cpuJudged, cpuPass := false, true
		var parts, cpuParts []string
		for _, job := range []string{jobRead16, jobRead256} {
			o := r.get(job, goclients.OursAsync)
			if o == nil {
				continue
			}
			best, bestName := 0.0, ""
			for other := range r.Clients {
				if other == goclients.OursAsync || other == goclients.OursSync {
					continue
				}
				if x := r.get(job, other); x != nil && x.OpsPerSec > best {
					best, bestName = x.OpsPerSec, other
				}
			}
			if best > 0 {
				judged = true
				x := o.OpsPerSec / best
				pass = pass && x >= 1.0
				parts = append(parts, fmt.Sprintf("%s: ours-async %.0f ops/s = %.2f× %s (the best other)", job, o.OpsPerSec, x, bestName))
			}
			if m := r.get(job, goclients.Raw); m != nil && m.CPUPer100k > 0 {
				cpuJudged = true
				x := o.CPUPer100k / m.CPUPer100k
				cpuPass = cpuPass && x <= 1.1
				cpuParts = append(cpuParts, fmt.Sprintf("%s: %.2f× raw", job, x))
			}
		}
		add("pipelined reads on one connection >= 1.0x the best other client", judged, pass, strings.Join(parts, "; "))
		add("CPU per pipelined read <= 1.1x the minimal client's", cpuJudged, cpuPass, strings.Join(cpuParts, "; "))
	}

	// 2. CPU per operation: at most half of go-zookeeper's.
	{
		judged, pass := false, true
		var parts []string
		for _, job := range []string{jobRead16, jobRead256, jobCreateDelete} {
			g := r.get(job, goclients.GoZK)
			if g == nil || g.CPUPer100k == 0 {
				continue
			}
			for _, ours := range []string{goclients.OursAsync, goclients.OursSync} {
				o := r.get(job, ours)
				if o == nil {
					continue
				}
				x := o.CPUPer100k / g.CPUPer100k
				if ours == goclients.OursAsync {
					judged = true
					pass = pass && x <= 0.5
				}
				parts = append(parts, fmt.Sprintf("%s %s %.2f× gozk", job, ours, x))
			}
		}
		add("client CPU per operation <= 0.5x go-zookeeper's (ours-async judged)", judged, pass, strings.Join(parts, "; "))
	}
	{
		var parts []string
		for _, job := range []string{jobSeqGet, jobRead256, jobCreateDelete} {
			o, k := r.get(job, refClient(job)), r.get(job, PyKazoo)
			if o != nil && k != nil && k.CPUPer100k > 0 {
				part := fmt.Sprintf("%s %.2f× pykazoo", job, o.CPUPer100k/k.CPUPer100k)
				if m := r.get(job, goclients.Raw); m != nil {
					// What the kernel's share leaves reachable.
					part += fmt.Sprintf(" (the minimal client %.2f×)", m.CPUPer100k/k.CPUPer100k)
				}
				parts = append(parts, part)
			}
		}
		add("client CPU per operation far below kazoo's (info: <= 0.25x counts as far)", len(parts) > 0, allBelow(parts, 0.25), strings.Join(parts, "; "))
	}

	// 3. Sequential round trip.
	{
		o, g, m := r.get(jobSeqGet, goclients.OursSync), r.get(jobSeqGet, goclients.GoZK), r.get(jobSeqGet, goclients.Raw)
		judged := o != nil && g != nil && m != nil
		pass, detail := false, ""
		if judged {
			pass = o.P50Us <= 1.05*min(g.P50Us, m.P50Us)
			detail = fmt.Sprintf("median: ours-sync %.1fµs, gozk %.1fµs (%.2f×), raw %.1fµs (%.2f×); p99: %.1f / %.1f / %.1fµs",
				o.P50Us, g.P50Us, o.P50Us/g.P50Us, m.P50Us, o.P50Us/m.P50Us, o.P99Us, g.P99Us, m.P99Us)
		}
		add("sequential round trip: median <= 1.05x the best other client's", judged, pass, detail)
	}

	// 4. Allocations per Get.
	{
		o := r.get(jobSeqGet, goclients.OursSync)
		judged := o != nil && o.AllocsPerOp >= 0
		pass, detail := false, ""
		if judged {
			// The returned data is one allocation (a copy of the
			// reply's bytes); everything else is overhead.
			pass = o.AllocsPerOp-1 <= 3.05
			detail = fmt.Sprintf("ours-sync Get: %.2f allocs, %.0f B per op (the %d-byte data is 1 of them)", o.AllocsPerOp, o.BytesPerOp, dataSize)
			if a := r.get(jobSeqGet, goclients.OursAsync); a != nil {
				detail += fmt.Sprintf("; ours-async %.2f allocs, %.0f B", a.AllocsPerOp, a.BytesPerOp)
			}
			if g := r.get(jobSeqGet, goclients.GoZK); g != nil {
				detail += fmt.Sprintf("; gozk %.2f allocs, %.0f B", g.AllocsPerOp, g.BytesPerOp)
			}
		}
		add("allocations per Get <= 3 beyond the returned data", judged, pass, detail)
	}

	// 5. Watches: what one watch costs, set and fired (the event included).
	{
		o := r.get(jobWatches, goclients.OursSync)
		judged := o != nil && o.AllocsPerOp >= 0
		pass, detail := false, ""
		if judged {
			pass = o.AllocsPerOp <= 3.05 && o.BytesPerOp <= 800
			detail = fmt.Sprintf("ours-sync %.1f allocs, %.0f B per watch", o.AllocsPerOp, o.BytesPerOp)
			if m := r.get(jobWatches, goclients.Raw); m != nil {
				detail += fmt.Sprintf("; raw %.1f allocs, %.0f B", m.AllocsPerOp, m.BytesPerOp)
			}
		}
		add("watches: <= 3 allocations and 800 B per watch", judged, pass, detail)
	}
	return ts
}

// allBelow reports whether every "... X× ..." figure in parts is <= limit.
func allBelow(parts []string, limit float64) bool {
	for _, p := range parts {
		var x float64
		f := strings.Fields(p)
		fmt.Sscanf(strings.TrimSuffix(f[1], "×"), "%g", &x)
		if x > limit {
			return false
		}
	}
	return true
}

func (r *report) writeJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func machine() machineInfo {
	m := machineInfo{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.LoadAtStart = startLoad
	m.LoadAtFinish = loadavg()
	return m
}

// startLoad is the load average when the program started: the machine is
// shared, and the load says how much.
var startLoad = loadavg()

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// ---- Markdown

type table struct {
	b    *strings.Builder
	cols int
}

func newTable(b *strings.Builder, header ...string) *table {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for i := range header {
		if i == 0 {
			b.WriteString("---|")
		} else {
			b.WriteString("---:|")
		}
	}
	b.WriteString("\n")
	return &table{b: b, cols: len(header)}
}

func (t *table) row(cells ...string) {
	t.b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

func num(x float64, prec int) string {
	if x == 0 || math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, x)
}

func times(x float64) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", x)
}

// spread is the half-range of the rounds around the median, in percent.
func spread(s *summary) string {
	if s.Rounds < 2 || s.OpsPerSec == 0 {
		return ""
	}
	return fmt.Sprintf(" ±%.0f%%", (s.OpsMax-s.OpsMin)/2/s.OpsPerSec*100)
}

func allocCell(s *summary, perOp float64, prec int) string {
	if s == nil || perOp < 0 {
		return "n/a"
	}
	return num(perOp, prec)
}

// markdown renders the report.
func (r *report) markdown(cfg *config) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	mode := ""
	if r.Quick {
		mode = " (QUICK MODE: tiny counts, timings mean nothing)"
	}
	w("\n## ZooKeeper client benchmark%s\n\n", mode)
	w("Machine: %s, %d cores, Linux %s, %s; load average %s at start, %s at the end. ",
		r.Machine.CPUModel, r.Machine.Cores, r.Machine.Kernel, r.Machine.Go, r.Machine.LoadAtStart, r.Machine.LoadAtFinish)
	w("Server: ZooKeeper %s (zktest, JVM flags %q) on %s. ", r.Server.Version, r.Server.JVMFlags, r.Server.Addr)
	w("%d rounds; each cell is the median over the rounds. Started %s, took %v.\n\n",
		cfg.rounds, r.Started.Format(time.RFC3339), r.Finished.Sub(r.Started).Round(time.Second))
	w("Clients:\n\n")
	for _, c := range cfg.clients {
		if m, ok := r.Clients[c]; ok {
			w("- `%s` %s: %s\n", c, m.Version, m.Description)
		}
	}
	w("\n")

	has := func(job string) bool { return slices.Contains(cfg.workloads, job) }

	if has(jobSeqGet) {
		w("### 1. Sequential Get of a %d-byte node (%d Gets per run)\n\n", dataSize, cfg.seqOps)
		t := newTable(&b, "client", "median µs", "p99 µs", "median ÷ ours-sync", "ops/s", "CPU s / 100k ops", "allocs/op", "B/op")
		for _, c := range cfg.clients {
			s := r.get(jobSeqGet, c)
			if s == nil {
				t.row(c, "error", "", "", "", "", "", "")
				continue
			}
			t.row(c, num(s.P50Us, 1), num(s.P99Us, 1), times(s.Ratio), num(s.OpsPerSec, 0), num(s.CPUPer100k, 2),
				allocCell(s, s.AllocsPerOp, 1), allocCell(s, s.BytesPerOp, 0))
		}
		w("\n")
	}

	readJobs := []string{}
	for _, j := range []string{jobRead1, jobRead16, jobRead256} {
		if has(j) {
			readJobs = append(readJobs, j)
		}
	}
	if len(readJobs) > 0 {
		w("### 2. Gets with 1, 16 and 256 in flight on one connection (%d / %d / %d Gets per run)\n\n", cfg.read1Ops, cfg.read16Ops, cfg.read256Ops)
		w("Ops/s (± half the range over the rounds) and the ratio to ours-async.\n\n")
		header := []string{"client"}
		for _, j := range readJobs {
			header = append(header, inflightOf(j)+" in flight ops/s", "÷ ours")
		}
		t := newTable(&b, header...)
		for _, c := range cfg.clients {
			cells := []string{c}
			for _, j := range readJobs {
				s := r.get(j, c)
				if s == nil {
					cells = append(cells, "error", "")
					continue
				}
				cells = append(cells, num(s.OpsPerSec, 0)+spread(s), times(s.Ratio))
			}
			t.row(cells...)
		}
		w("\nCeiling ratio (ours-async ÷ raw):")
		for _, j := range readJobs {
			o, m := r.get(j, goclients.OursAsync), r.get(j, goclients.Raw)
			if o != nil && m != nil {
				w(" %s in flight %.2f;", inflightOf(j), o.OpsPerSec/m.OpsPerSec)
			}
		}
		w("\n\n")
	}

	if has(jobCreateDelete) {
		w("### 3. Create + delete of ephemeral sequential nodes, %d in flight (%d operations per run)\n\n", cfg.cdInflight, cfg.cdOps)
		t := newTable(&b, "client", "ops/s", "÷ ours-async", "CPU s / 100k ops", "CPU ÷ ours-async", "allocs/op", "B/op")
		for _, c := range cfg.clients {
			s := r.get(jobCreateDelete, c)
			if s == nil {
				t.row(c, "error", "", "", "", "", "")
				continue
			}
			t.row(c, num(s.OpsPerSec, 0)+spread(s), times(s.Ratio), num(s.CPUPer100k, 2), times(s.CPURatio),
				allocCell(s, s.AllocsPerOp, 1), allocCell(s, s.BytesPerOp, 0))
		}
		if o, m := r.get(jobCreateDelete, goclients.OursAsync), r.get(jobCreateDelete, goclients.Raw); o != nil && m != nil {
			w("\nCeiling ratio (ours-async ÷ raw): %.2f\n", o.OpsPerSec/m.OpsPerSec)
		}
		w("\n")
	}

	if has(jobWatches) {
		batch := "one multi"
		if cfg.watchBatch > 0 && cfg.watchBatch < cfg.watches {
			batch = fmt.Sprintf("multis of %d", cfg.watchBatch)
		}
		w("### 4. %d data watches: set them (%d watching Gets in flight), then change every node with %s\n\n", cfg.watches, cfg.watchFlight, batch)
		w("Fire = from sending the multi until the last event reached the application.\n\n")
		t := newTable(&b, "client", "set ms", "fire ms", "total ÷ ours-sync", "CPU s / 100k watches", "allocs/watch", "B/watch")
		for _, c := range cfg.clients {
			s := r.get(jobWatches, c)
			if s == nil {
				t.row(c, "error", "", "", "", "", "")
				continue
			}
			t.row(c, num(s.SetSeconds*1000, 1), num(s.FireSeconds*1000, 1), times(s.Ratio), num(s.CPUPer100k, 2),
				allocCell(s, s.AllocsPerOp, 1), allocCell(s, s.BytesPerOp, 0))
		}
		w("\n")
	}

	w("### 5. Client CPU seconds (user + system) per 100,000 operations\n\n")
	w("From the OS (getrusage, or /proc for the JVM) for the client's own process over the measured run; ")
	w("in parentheses, the ratio to ours (ours-sync for seqget and watches, ours-async otherwise).\n\n")
	header := []string{"client"}
	header = append(header, cfg.workloads...)
	t := newTable(&b, header...)
	for _, c := range cfg.clients {
		cells := []string{c}
		for _, j := range cfg.workloads {
			s := r.get(j, c)
			if s == nil {
				cells = append(cells, "error")
				continue
			}
			cells = append(cells, fmt.Sprintf("%s (%s)", num(s.CPUPer100k, 2), times(s.CPURatio)))
		}
		t.row(cells...)
	}
	w("\nContext switches per operation (voluntary + involuntary, every thread of the client's process; ")
	w("each one is a thread that went to sleep and had to be woken, or was preempted):\n\n")
	header = []string{"client"}
	header = append(header, cfg.workloads...)
	t = newTable(&b, header...)
	for _, c := range cfg.clients {
		cells := []string{c}
		for _, j := range cfg.workloads {
			if s := r.get(j, c); s == nil {
				cells = append(cells, "error")
			} else {
				cells = append(cells, num(s.CSWPerOp, 2))
			}
		}
		t.row(cells...)
	}
	w("\nGo clients' heap allocations per operation (runtime.MemStats over the measured run, all goroutines):\n\n")
	header = []string{"client"}
	for _, j := range cfg.workloads {
		header = append(header, j+" allocs", "B")
	}
	t = newTable(&b, header...)
	for _, c := range cfg.clients {
		if !isGo(c) {
			continue
		}
		cells := []string{c}
		for _, j := range cfg.workloads {
			s := r.get(j, c)
			cells = append(cells, allocCell(s, valueOr(s, func(s *summary) float64 { return s.AllocsPerOp }), 1),
				allocCell(s, valueOr(s, func(s *summary) float64 { return s.BytesPerOp }), 0))
		}
		t.row(cells...)
	}

	w("\n### Targets\n\n")
	for _, tg := range r.Targets {
		verdict := "MISS"
		switch {
		case !tg.Judged:
			verdict = "n/a "
		case tg.Pass:
			verdict = "PASS"
		}
		w("- **%s** %s — %s\n", verdict, tg.Name, tg.Detail)
	}
	if n := r.failures(); n > 0 {
		w("\n**%d runs failed:**\n\n", n)
		for i := range r.Runs {
			if x := &r.Runs[i]; x.Error != "" {
				w("- round %d %s %s: %s\n", x.Round, x.Job, x.Client, firstLine(x.Error))
			}
		}
	}
	w("\n")
	return b.String()
}

func valueOr(s *summary, f func(*summary) float64) float64 {
	if s == nil {
		return -1
	}
	return f(s)
}

func inflightOf(job string) string { return strings.TrimPrefix(job, "read") }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
