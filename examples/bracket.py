import cadquery as cq
w0=cq.Workplane('XY',origin=(0,0,-20))
w1=cq.Workplane('ZX',origin=(0,-30,0))
r=w0.sketch().push([(0,0)]).rect(160,60).push([(-60,0)]).circle(8,mode='s').push([(60,0)]).circle(8,mode='s').finalize().extrude(14).union(w1.sketch().segment((-6,-30),(60,-30)).arc((75,0),(60,30)).segment((-6,30)).close().assemble().push([(55,0)]).circle(10,mode='s').finalize().extrude(16)).union(w0.workplane(offset=17).moveTo(0,0).cylinder(6,20))