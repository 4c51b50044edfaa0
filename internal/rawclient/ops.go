package rawclient

import (
	"errors"
	"strings"

	"github.com/kazoo-go/kazoo/proto"
)

// OpenACL is the ACL the helpers below create nodes with: everything for
// everyone (world:anyone).
var OpenACL = []proto.ACL{{Perms: proto.PermAll, Scheme: "world", ID: "anyone"}}

// Create creates a node with [OpenACL] and returns its path (which differs
// from path for sequential nodes).
func (c *Conn) Create(path string, data []byte, flags proto.CreateFlags) (string, error) {
	var resp proto.PathResponse
	_, err := c.Call(proto.OpCreate, &proto.CreateRequest{Path: path, Data: data, ACL: OpenACL, Flags: flags}, &resp)
	return resp.Path, err
}

// Get returns a copy of a node's data and its Stat.
func (c *Conn) Get(path string) ([]byte, proto.Stat, error) {
	var resp proto.GetDataResponse
	_, err := c.Call(proto.OpGetData, &proto.PathWatchRequest{Path: path}, &resp)
	if err != nil {
		return nil, proto.Stat{}, err
	}
	return append([]byte(nil), resp.Data...), resp.Stat, nil
}

// Children returns the names of a node's children.
func (c *Conn) Children(path string) ([]string, error) {
	var resp proto.GetChildrenResponse
	_, err := c.Call(proto.OpGetChildren, &proto.PathWatchRequest{Path: path}, &resp)
	return resp.Children, err
}

// Delete deletes a node; version -1 matches any version.
func (c *Conn) Delete(path string, version int32) error {
	_, err := c.Call(proto.OpDelete, &proto.DeleteRequest{Path: path, Version: version}, nil)
	return err
}

// DeleteAll deletes path and everything below it, depth first. Nodes that
// vanish meanwhile are not an error; nodes created meanwhile may make it fail
// with NotEmpty.
func (c *Conn) DeleteAll(path string) error {
	kids, err := c.Children(path)
	if IsCode(err, proto.CodeNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	prefix := strings.TrimSuffix(path, "/") + "/"
	for _, k := range kids {
		if err := c.DeleteAll(prefix + k); err != nil {
			return err
		}
	}
	if err := c.Delete(path, -1); err != nil && !IsCode(err, proto.CodeNoNode) {
		return err
	}
	return nil
}

// IsCode reports whether err is an *[Error] carrying code.
func IsCode(err error, code proto.Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
