from __future__ import annotations

import time
from typing import Any

from orgs import services
from orgs.management.commands._base import OperatorCommand
from orgs.models import Organization
from orgs.plans import Plan


class Command(OperatorCommand):
    help = ("Grow an organization to N members fast, with bulk inserts (benchmarks, load "
            "tests); creates the organization (Enterprise) when the slug is new.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--members", type=int, required=True,
                            help="the number of members the organization should have")
        parser.add_argument("--groups", type=int, default=0, help="groups to add")
        parser.add_argument("--group-size", type=int, default=0, help="members per group")
        parser.add_argument("--batch", type=int, default=5000, help="rows per INSERT")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        org = Organization.objects.filter(slug=opts["org"]).first()
        if org is None:
            org = services.organization_create(name=opts["org"], slug=opts["org"],
                                               plan=Plan.ENTERPRISE, actor=self.actor)
        seeded = services.members_seed(
            organization=org, members=opts["members"], groups=opts["groups"],
            group_size=opts["group_size"], batch=opts["batch"], actor=self.actor,
        )
        self.stdout.write(
            f"Seeded {org.slug}: {seeded.members:,} members added ({seeded.total:,} in all), "
            f"{seeded.groups} groups, in {time.perf_counter() - started:.1f} s."
        )
