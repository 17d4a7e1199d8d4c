import { LabIcon } from '@jupyterlab/ui-components';

import courseSvg from '../../style/icons/course.svg';

/** A mortarboard: the Course launcher section, the Modules panel tab, module commands. */
export const courseIcon = new LabIcon({
  name: 'coursekit:course',
  svgstr: courseSvg
});
