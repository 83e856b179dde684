// Federated objects (see federated_object.hpp).
#include "sync/propagation/federated_object.hpp"

#include <nlohmann/json.hpp>

namespace fedns::sync::propagation {
namespace {

std::string string_at(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<Placement> parse_placement(const nlohmann::json& spec) {
  Placement out;
  const auto it = spec.find("placement");
  if (it == spec.end() || it->is_null()) return out;
  if (!it->is_object()) return Error{"spec.placement: must be an object"};
  if (const auto clusters = it->find("clusters"); clusters != it->end() && !clusters->is_null()) {
    if (!clusters->is_array()) return Error{"spec.placement.clusters: must be a list"};
    out.explicit_list = true;
    for (std::size_t i = 0; i < clusters->size(); ++i) {
      const auto& c = (*clusters)[i];
      const std::string name = c.is_object() ? string_at(c, "name") : std::string();
      if (name.empty()) return Error{"spec.placement.clusters[" + std::to_string(i) + "]: needs a name"};
      out.clusters.push_back(name);
    }
  }
  if (const auto selector = it->find("clusterSelector"); selector != it->end() && !selector->is_null()) {
    auto parsed = parse_label_selector(*selector, "spec.placement.clusterSelector");
    if (!parsed) return parsed.error();
    out.selector = std::move(*parsed);
  }
  return out;
}

Result<Override> parse_override(const nlohmann::json& o, std::size_t index) {
  const std::string at = "spec.overrides[" + std::to_string(index) + "]";
  if (!o.is_object()) return Error{at + ": must be an object"};
  Override out;
  out.index = index;
  out.cluster_name = string_at(o, "clusterName");
  if (const auto s = o.find("clusterSelector"); s != o.end() && !s->is_null()) {
    auto parsed = parse_label_selector(*s, at + ".clusterSelector");
    if (!parsed) return parsed.error();
    out.selector = std::move(*parsed);
  }
  if (out.cluster_name.empty() == !out.selector.has_value())
    return Error{at + ": names one cluster (clusterName) or selects clusters (clusterSelector)"};
  const auto patches = o.find("patches");
  if (patches == o.end() || !patches->is_array() || patches->empty())
    return Error{at + ".patches: needs patches"};
  for (std::size_t i = 0; i < patches->size(); ++i) {
    const auto& p = (*patches)[i];
    const std::string pat = at + ".patches[" + std::to_string(i) + "]";
    const std::string op = p.is_object() ? string_at(p, "op") : std::string();
    const std::string path = p.is_object() ? string_at(p, "path") : std::string();
    if (op != "add" && op != "remove" && op != "replace")
      return Error{pat + ".op: must be add, remove or replace"};
    if (path.empty() || path[0] != '/') return Error{pat + ".path: must be a JSON pointer (/spec/...)"};
    // The schema cannot say this (CEL does not see an untyped field): checked here.
    if ((op == "remove") == p.contains("value"))
      return Error{pat + ": " + (op == "remove" ? "remove takes no value" : op + " needs a value")};
  }
  out.patches = patches->dump();
  return out;
}

}  // namespace

std::string FederatedObject::describe() const {
  return cluster_scoped ? "ClusterFederatedObject " + name : "FederatedObject " + namespace_ + "/" + name;
}

Result<FederatedObject> parse_federated_object(const nlohmann::json& object) {
  if (!object.is_object()) return Error{"not an object"};
  FederatedObject out;
  const std::string kind = string_at(object, "kind");
  out.cluster_scoped = kind == "ClusterFederatedObject";
  const auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return Error{"metadata: missing"};
  out.name = string_at(*meta, "name");
  out.namespace_ = string_at(*meta, "namespace");
  out.uid = string_at(*meta, "uid");
  if (out.name.empty()) return Error{"metadata.name: missing"};
  if (const auto g = meta->find("generation"); g != meta->end() && g->is_number_integer())
    out.generation = g->get<std::int64_t>();
  out.deleting = meta->contains("deletionTimestamp") && !(*meta)["deletionTimestamp"].is_null();
  if (const auto f = meta->find("finalizers"); f != meta->end() && f->is_array()) {
    for (const auto& name : *f) {
      if (name.is_string()) out.finalizers.push_back(name.get<std::string>());
    }
  }
  const auto wrap = [&](const Error& e) { return e.wrap(out.describe()); };
  const auto spec = object.find("spec");
  if (spec == object.end() || !spec->is_object()) return wrap(Error{"spec: missing"});
  const auto tmpl = spec->find("template");
  if (tmpl == spec->end() || !tmpl->is_object()) return wrap(Error{"spec.template: missing"});
  out.api_version = string_at(*tmpl, "apiVersion");
  out.kind = string_at(*tmpl, "kind");
  if (out.api_version.empty() || out.kind.empty())
    return wrap(Error{"spec.template: needs apiVersion and kind"});
  out.template_text = tmpl->dump();
  out.target_name = out.name;
  if (const auto tmeta = tmpl->find("metadata"); tmeta != tmpl->end() && tmeta->is_object()) {
    if (const auto tname = tmeta->find("name"); tname != tmeta->end() && !tname->is_null()) {
      if (!tname->is_string() || tname->get<std::string>().empty())
        return wrap(Error{"spec.template.metadata.name: must be a non-empty string"});
      out.target_name = tname->get<std::string>();
    }
  }
  auto placement = parse_placement(*spec);
  if (!placement) return wrap(placement.error());
  out.placement = std::move(*placement);
  if (const auto overrides = spec->find("overrides"); overrides != spec->end() && !overrides->is_null()) {
    if (!overrides->is_array()) return wrap(Error{"spec.overrides: must be a list"});
    for (std::size_t i = 0; i < overrides->size(); ++i) {
      auto o = parse_override((*overrides)[i], i);
      if (!o) return wrap(o.error());
      out.overrides.push_back(std::move(*o));
    }
  }
  for (const auto& [key, field] :
       {std::pair{"adoptExisting", &out.adopt_existing}, std::pair{"retainReplicas", &out.retain_replicas}}) {
    const auto it = spec->find(key);
    if (it == spec->end() || it->is_null()) continue;
    if (!it->is_boolean()) return wrap(Error{std::string("spec.") + key + ": must be true or false"});
    *field = it->get<bool>();
  }
  if (const auto scheduled = spec->find("scheduledReplicas");
      scheduled != spec->end() && !scheduled->is_null()) {
    if (!scheduled->is_object())
      return wrap(Error{"spec.scheduledReplicas: must be a mapping of cluster -> replicas"});
    for (const auto& [cluster, replicas] : scheduled->items()) {
      if (!replicas.is_number_integer() || replicas.get<std::int64_t>() < 0)
        return wrap(Error{"spec.scheduledReplicas." + cluster + ": must be a whole number, 0 or more"});
      out.scheduled_replicas[cluster] = replicas.get<std::int64_t>();
    }
  }
  const std::string deletion = string_at(*spec, "deletionPolicy");
  if (deletion == "Orphan") {
    out.deletion_policy = DeletionPolicy::kOrphan;
  } else if (!deletion.empty() && deletion != "Delete") {
    return wrap(Error{"spec.deletionPolicy: " + deletion + " is not Delete or Orphan"});
  }
  return out;
}

}  // namespace fedns::sync::propagation
