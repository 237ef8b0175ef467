from __future__ import annotations

import json
from typing import Any

from orgs.management.commands._base import OperatorCommand, get_org
from orgs.selectors import membership_list


class Command(OperatorCommand):
    help = "List an organization's members."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--json", action="store_true", help="one JSON object a line")
        parser.add_argument("--inactive", action="store_true", help="only deactivated members")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = get_org(opts["org"])
        members = membership_list(organization=org)
        if opts["inactive"]:
            members = members.filter(is_active=False)
        for m in members:
            row = {
                "id": str(m.pk), "email": m.email, "role": m.role, "status": m.status,
                "active": m.is_active, "source": m.source,
                "groups": [g.display_name for g in m.groups.all()],
            }
            if opts["json"]:
                self.stdout.write(json.dumps(row))
            else:
                state = "active" if m.is_active else "inactive"
                groups = ", ".join(row["groups"]) or "-"
                self.stdout.write(
                    f"{m.email}\t{m.role}\t{m.status}\t{state}\t{m.source}\t{groups}"
                )
