package workload

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// Runner is one Go client connected to the server, able to run every
// workload. Its methods are called one at a time. A loop given a Budget
// stops issuing requests once it expires and returns how many operations
// completed.
type Runner interface {
	// SeqGet runs len(lat) sequential Gets of path, recording each
	// one's latency in lat.
	SeqGet(b *Budget, path string, lat []time.Duration) (int, error)
	// Read runs ops Gets of path with inflight outstanding.
	Read(b *Budget, path string, ops, inflight int) (int, error)
	// CreateDelete runs ops operations (creates of ephemeral sequential
	// nodes under prefix and deletes of the created nodes) with
	// inflight outstanding.
	CreateDelete(b *Budget, prefix string, ops, inflight int) (int, error)
	// SetWatches leaves a data watch on every path, inflight at a time.
	SetWatches(b *Budget, paths []string, inflight int) error
	// FireWatches changes every path watched by the last SetWatches with
	// multi requests of at most batch setData operations, and returns once
	// every watch's event has arrived, with the number of events.
	FireWatches(paths []string, batch int) (int, error)
	// Close ends the session.
	Close() error
}

// Dialer connects a Runner to the server at addr.
type Dialer func(addr string) (Runner, error)

// Serve is a Go worker's main loop: it reads commands from in and writes
// results to out until a quit command or the end of in.
func Serve(client, addr string, dial Dialer, in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	enc := json.NewEncoder(out)
	for sc.Scan() {
		cmd, err := ParseCommand(sc.Text())
		res := Result{Client: client, Workload: cmd.Workload, Inflight: cmd.Inflight}
		switch {
		case err != nil:
			res.Error = err.Error()
		case cmd.Cmd == "quit":
			return nil
		case cmd.Cmd != "run":
			res.Error = fmt.Sprintf("unknown command %q", cmd.Cmd)
		default:
			runOne(dial, addr, &cmd, &res)
		}
		if err := enc.Encode(&res); err != nil {
			return err
		}
	}
	return sc.Err()
}

func runOne(dial Dialer, addr string, cmd *Command, res *Result) {
	r, err := dial(addr)
	if err != nil {
		res.Error = "connect: " + err.Error()
		return
	}
	defer func() {
		if err := r.Close(); err != nil && res.Error == "" {
			res.Error = "close: " + err.Error()
		}
	}()
	if err := measure(r, cmd, res); err != nil {
		res.Error = err.Error()
	}
}

// measure runs the warm-up, then the measured run between two snapshots.
func measure(r Runner, cmd *Command, res *Result) error {
	never := NewBudget(0)
	var run func(b *Budget) (int, error)
	var lat []time.Duration
	var setDur time.Duration
	switch cmd.Workload {
	case SeqGet:
		if cmd.Warmup > 0 {
			if _, err := r.SeqGet(never, cmd.Path, make([]time.Duration, cmd.Warmup)); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		}
		lat = make([]time.Duration, cmd.Ops)
		run = func(b *Budget) (int, error) { return r.SeqGet(b, cmd.Path, lat) }
	case Read:
		if cmd.Warmup > 0 {
			if _, err := r.Read(never, cmd.Path, cmd.Warmup, cmd.Inflight); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		}
		run = func(b *Budget) (int, error) { return r.Read(b, cmd.Path, cmd.Ops, cmd.Inflight) }
	case CreateDelete:
		if cmd.Warmup > 0 {
			if _, err := r.CreateDelete(never, cmd.Prefix, cmd.Warmup, cmd.Inflight); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		}
		run = func(b *Budget) (int, error) { return r.CreateDelete(b, cmd.Prefix, cmd.Ops, cmd.Inflight) }
	case Watches:
		paths := make([]string, cmd.WatchCount)
		for i := range paths {
			paths[i] = WatchName(cmd.WatchRoot, i)
		}
		batch := cmd.WatchBatch
		if batch <= 0 {
			batch = len(paths)
		}
		if w := min(cmd.Warmup, len(paths)); w > 0 {
			if err := r.SetWatches(never, paths[:w], cmd.Inflight); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
			if _, err := r.FireWatches(paths[:w], batch); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		}
		cmd.Ops = len(paths)
		run = func(b *Budget) (int, error) {
			t0 := time.Now()
			if err := r.SetWatches(b, paths, cmd.Inflight); err != nil {
				return 0, err
			}
			setDur = time.Since(t0)
			return r.FireWatches(paths, batch)
		}
	default:
		return fmt.Errorf("unknown workload %q", cmd.Workload)
	}

	stopProfile, err := startProfiles(cmd)
	if err != nil {
		return err
	}
	b := NewBudget(cmd.Timeout)
	before := Take(true)
	n, runErr := run(b)
	after := Take(true)
	b.Stop()
	if err := stopProfile(); err != nil && runErr == nil {
		runErr = err
	}

	res.Ops = n
	res.Truncated = n < cmd.Ops
	res.Fill(before, after, true)
	if lat != nil {
		res.Latencies(lat[:n])
	}
	if cmd.Workload == Watches {
		res.Events = n
		res.SetSeconds = setDur.Seconds()
		res.FireSeconds = res.Seconds - res.SetSeconds
	}
	return runErr
}

// startProfiles starts the profiles a command asks for and returns the
// function that writes them.
func startProfiles(cmd *Command) (stop func() error, err error) {
	var cpu *os.File
	if cmd.Profile != "" {
		if cpu, err = os.Create(cmd.Profile); err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, err
		}
	}
	if cmd.MemProfile != "" {
		// Record every allocation from now on; the profile is
		// cumulative for the process, so a base is written too:
		// go tool pprof -sample_index=alloc_objects -base X.base X
		runtime.MemProfileRate = 1
		if err := writeAllocs(cmd.MemProfile + ".base"); err != nil {
			return nil, err
		}
	}
	return func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpu.Close())
		}
		if cmd.MemProfile != "" {
			errs = append(errs, writeAllocs(cmd.MemProfile))
		}
		return errors.Join(errs...)
	}, nil
}

func writeAllocs(path string) error {
	// The profile may be up to two garbage collections old: after two,
	// it holds every allocation made before this call.
	runtime.GC()
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = pprof.Lookup("allocs").WriteTo(f, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
