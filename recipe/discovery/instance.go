// Package discovery is service discovery compatible with Curator's
// x-discovery: services register instances as ephemeral nodes
// base/<name>/<id> holding JSON in the layout Curator 5's default
// serializer writes, so that Go and Java services find each other.
//
// A ServiceDiscovery registers, updates and unregisters this process's
// instances (each kept by a recipe.PersistentNode: re-registered after a
// session loss, updates surviving it) and queries names and instances. A
// Provider keeps a cache of one service's instances, updated from a
// persistent recursive watch, and picks one with a Strategy: random,
// round-robin or sticky.
package discovery

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/kazoo-go/kazoo/recipe"
)

// ServiceType is an instance's kind, as Curator names it.
type ServiceType string

// Service types. Dynamic instances are ephemeral (gone with their
// session); static and permanent ones are persistent nodes.
const (
	Dynamic           ServiceType = "DYNAMIC"
	DynamicSequential ServiceType = "DYNAMIC_SEQUENTIAL"
	Static            ServiceType = "STATIC"
	Permanent         ServiceType = "PERMANENT"
)

// Instance is one instance of a service, in Curator's ServiceInstance JSON
// layout (field names and order as Jackson writes them).
type Instance struct {
	Name                string          `json:"name"`
	ID                  string          `json:"id"`
	Address             string          `json:"address"`
	Port                *int            `json:"port"`
	SSLPort             *int            `json:"sslPort"`
	Payload             json.RawMessage `json:"payload"` // see MapPayload
	RegistrationTimeUTC int64           `json:"registrationTimeUTC"`
	ServiceType         ServiceType     `json:"serviceType"`
	URISpec             json.RawMessage `json:"uriSpec"` // Curator's UriSpec object, or null
}

// Int returns a pointer to v, for Port and SSLPort.
func Int(v int) *int { return &v }

// MapPayload returns m as the payload a Curator ServiceDiscovery built
// for Map payloads reads: Jackson's type tag "@class" set to
// java.util.LinkedHashMap, then the entries.
func MapPayload(m map[string]any) (json.RawMessage, error) {
	tagged := maps.Clone(m)
	if tagged == nil {
		tagged = map[string]any{}
	}
	tagged["@class"] = "java.util.LinkedHashMap"
	return json.Marshal(tagged)
}

// PayloadMap reads a payload written by MapPayload or by Curator (the
// "@class" tag is dropped). A null payload gives a nil map.
func PayloadMap(p json.RawMessage) (map[string]any, error) {
	if len(p) == 0 || bytes.Equal(p, []byte("null")) {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(p, &m); err != nil {
		return nil, fmt.Errorf("discovery: payload: %w", err)
	}
	delete(m, "@class")
	return m, nil
}

func (in Instance) validate() error {
	if in.Name == "" || in.ID == "" {
		return fmt.Errorf("discovery: an instance needs a name and an id (got %q, %q)", in.Name, in.ID)
	}
	switch in.ServiceType {
	case Dynamic, DynamicSequential, Static, Permanent:
	default:
		return fmt.Errorf("discovery: instance %s: unknown service type %q", in.ID, in.ServiceType)
	}
	return nil
}

// encode writes the instance's JSON; nil raw fields become null.
func (in Instance) encode() ([]byte, error) {
	if in.Payload == nil {
		in.Payload = json.RawMessage("null")
	}
	if in.URISpec == nil {
		in.URISpec = json.RawMessage("null")
	}
	return json.Marshal(in)
}

// decodeInstance reads an instance node; a node that is not an instance
// gives an error wrapping recipe.ErrBadValue.
func decodeInstance(path string, data []byte) (Instance, error) {
	var in Instance
	if err := json.Unmarshal(data, &in); err != nil {
		return Instance{}, badJSON(path, data, err)
	}
	if in.ID == "" || in.Name == "" {
		return Instance{}, badJSON(path, data, fmt.Errorf("no name or id"))
	}
	if in.ServiceType == "" {
		in.ServiceType = Dynamic
	}
	return in, nil
}

func badJSON(path string, data []byte, why error) error {
	const max = 64
	if len(data) > max {
		data = data[:max]
	}
	return fmt.Errorf("discovery: %s holds %q: %w: %v", path, data, recipe.ErrBadValue, why)
}
